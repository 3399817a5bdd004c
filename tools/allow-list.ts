/**
 * The allow-list format the gates share (audit-allowlist.json for npm audit, image-scan-allowlist.json for ECR's
 * scan): each entry names one finding by id, says why it is accepted, and until when. An entry past its date, or
 * without a reason, allows nothing and fails the gate, so an acceptance is reviewed again rather than forgotten.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface AllowEntry {
  /** The finding's id: a GHSA id for npm audit, a CVE (or GHSA) id for the image scan. */
  readonly id: string;
  readonly reason: string;
  /** YYYY-MM-DD: from this day on, the entry no longer allows the finding, and fails the gate. */
  readonly expires: string;
}

/** The problems with the allow list itself: an id of the wrong kind, no reason, or expired on `today`. */
export function allowListProblems(
  entries: readonly AllowEntry[],
  today: string,
  id: { readonly pattern: RegExp; readonly kind: string },
): string[] {
  return entries.flatMap((entry) => {
    const problems: string[] = [];
    if (!id.pattern.test(entry.id)) problems.push(`${entry.id}: not a ${id.kind}`);
    if (typeof entry.reason !== 'string' || entry.reason.trim() === '') problems.push(`${entry.id}: no reason given`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(entry.expires) || Number.isNaN(Date.parse(entry.expires))) {
      problems.push(`${entry.id}: expires ${JSON.stringify(entry.expires)} is not a YYYY-MM-DD date`);
    } else if (entry.expires <= today) {
      problems.push(`${entry.id}: the allowance expired on ${entry.expires}; fix it, or renew it with a reason`);
    }
    return problems;
  });
}

/** The ids that valid entries allow on `today`. */
export function allowedIds(
  entries: readonly AllowEntry[],
  today: string,
  id: { readonly pattern: RegExp; readonly kind: string },
): Set<string> {
  return new Set(
    entries.filter((entry) => allowListProblems([entry], today, id).length === 0).map((entry) => entry.id),
  );
}

/** An allow-list file; none is an empty list. */
export const readAllowList = (file: string): AllowEntry[] =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AllowEntry[]) : [];
