/**
 * The Build stage's scan gate, after the push: waits, for a bounded time, for ECR's scan of the pushed digest, then
 * fails on any CRITICAL or HIGH finding that image-scan-allowlist.json does not accept, and on any entry of that list
 * past its date (the allow-list format npm audit's gate uses: tools/allow-list.ts). It fails closed: a scan that
 * failed, an image ECR cannot scan, or no result within the wait stops the pipeline too.
 *
 * Reads `aws ecr describe-image-scan-findings` in both of its shapes: basic scanning's `findings` and enhanced
 * scanning's (Amazon Inspector's) `enhancedFindings`, of which only the ACTIVE ones count (docs/ci-cd.md#scan-gate).
 *
 * Usage: node infra/lib/pipeline/steps/image-scan-gate.ts --repository <name> --digest sha256:<hex>
 *        [--allowlist image-scan-allowlist.json] [--today YYYY-MM-DD] [--wait-seconds 900] [--poll-seconds 15]
 * Needs `aws` on PATH, with ecr:DescribeImageScanFindings on the repository.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { allowedIds, allowListProblems, readAllowList, type AllowEntry } from '../../../../tools/allow-list.ts';
import { ROOT } from '../../../../tools/root.ts';

/** CVE ids for the OS packages, GHSA ids for language packages (as Inspector reports npm findings). */
const FINDING_ID = {
  pattern: /^(CVE-\d{4}-\d{4,}|GHSA-[23456789cfghjmpqrvwx]{4}-[23456789cfghjmpqrvwx]{4}-[23456789cfghjmpqrvwx]{4})$/,
  kind: 'CVE or GHSA id',
};
const BLOCKING = new Set(['CRITICAL', 'HIGH']);
/** Statuses in which the scan is still to come. */
const PENDING = new Set(['PENDING', 'IN_PROGRESS']);
/** Statuses with a complete list of findings: basic scanning's COMPLETE, enhanced continuous scanning's ACTIVE. */
const DONE = new Set(['COMPLETE', 'ACTIVE']);

export interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly packageName: string;
}

export type ScanState =
  | { readonly kind: 'pending'; readonly detail: string }
  | { readonly kind: 'failed'; readonly detail: string }
  | { readonly kind: 'done'; readonly findings: readonly Finding[] };

interface ScanFindings {
  imageScanStatus?: { status?: string; description?: string };
  imageScanFindings?: {
    findings?: { name?: string; severity?: string; attributes?: { key: string; value: string }[] }[];
    enhancedFindings?: {
      severity?: string;
      status?: string;
      packageVulnerabilityDetails?: { vulnerabilityId?: string; vulnerablePackages?: { name?: string }[] };
    }[];
  };
}

/** Reads the output of `aws ecr describe-image-scan-findings --output json`. */
export function readScan(json: string): ScanState {
  const scan = JSON.parse(json) as ScanFindings;
  const status = scan.imageScanStatus?.status ?? 'no status';
  const detail = `${status}${scan.imageScanStatus?.description === undefined ? '' : `: ${scan.imageScanStatus.description}`}`;
  if (PENDING.has(status)) return { kind: 'pending', detail };
  if (!DONE.has(status)) return { kind: 'failed', detail };
  const basic = (scan.imageScanFindings?.findings ?? []).map((finding) => ({
    id: finding.name ?? 'unnamed finding',
    severity: finding.severity ?? 'UNDEFINED',
    packageName: finding.attributes?.find((attribute) => attribute.key === 'package_name')?.value ?? 'unknown package',
  }));
  const enhanced = (scan.imageScanFindings?.enhancedFindings ?? [])
    // SUPPRESSED (a suppression rule in Inspector) and CLOSED (fixed) findings do not count.
    .filter((finding) => finding.status === undefined || finding.status === 'ACTIVE')
    .map((finding) => ({
      id: finding.packageVulnerabilityDetails?.vulnerabilityId ?? 'unnamed finding',
      severity: finding.severity ?? 'UNDEFINED',
      packageName: finding.packageVulnerabilityDetails?.vulnerablePackages?.[0]?.name ?? 'unknown package',
    }));
  return { kind: 'done', findings: [...basic, ...enhanced] };
}

/** The findings that block: CRITICAL or HIGH, and not accepted by a valid entry. */
export function blockingFindings(
  findings: readonly Finding[],
  entries: readonly AllowEntry[],
  today: string,
): Finding[] {
  const allowed = allowedIds(entries, today, FINDING_ID);
  return findings.filter((finding) => BLOCKING.has(finding.severity) && !allowed.has(finding.id));
}

/** One look at the scan: its state, or pending while ECR has not started it (ScanNotFoundException). */
function describe(repository: string, digest: string): ScanState {
  const result = spawnSync(
    'aws',
    [
      'ecr',
      'describe-image-scan-findings',
      '--repository-name',
      repository,
      '--image-id',
      `imageDigest=${digest}`,
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  if (result.error !== undefined) return { kind: 'failed', detail: `aws did not run: ${result.error.message}` };
  if (result.status !== 0) {
    if (result.stderr.includes('ScanNotFoundException')) return { kind: 'pending', detail: 'no scan yet' };
    return { kind: 'failed', detail: result.stderr.trim() };
  }
  return readScan(result.stdout);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      repository: { type: 'string' },
      digest: { type: 'string' },
      allowlist: { type: 'string', default: join(ROOT, 'image-scan-allowlist.json') },
      today: { type: 'string', default: new Date().toISOString().slice(0, 10) },
      'wait-seconds': { type: 'string', default: '900' },
      'poll-seconds': { type: 'string', default: '15' },
    },
  });
  const { repository, digest } = values;
  if (repository === undefined || digest === undefined || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    console.error('scan gate: needs --repository <name> and --digest sha256:<64 hex digits>');
    return 1;
  }
  const waitMs = Number(values['wait-seconds']) * 1000;
  const pollMs = Number(values['poll-seconds']) * 1000;
  const entries = readAllowList(values.allowlist);
  const problems = allowListProblems(entries, values.today, FINDING_ID);
  for (const problem of problems) console.error(`scan allow list: ${problem}`);

  const started = Date.now();
  let state = describe(repository, digest);
  while (state.kind === 'pending' && Date.now() - started + pollMs <= waitMs) {
    console.log(`scan of ${digest}: ${state.detail}; waiting`);
    await sleep(pollMs);
    state = describe(repository, digest);
  }
  if (state.kind === 'pending') {
    console.error(`scan gate: no scan result for ${digest} within ${values['wait-seconds']} s (${state.detail})`);
    return 1;
  }
  if (state.kind === 'failed') {
    console.error(`scan gate: the scan of ${digest} gave no findings to judge (${state.detail})`);
    return 1;
  }
  const blocked = blockingFindings(state.findings, entries, values.today);
  for (const finding of state.findings.filter((f) => BLOCKING.has(f.severity))) {
    const entry = entries.find((e) => e.id === finding.id);
    const note = blocked.includes(finding)
      ? 'blocking'
      : `allowed until ${entry?.expires ?? '?'}: ${entry?.reason ?? ''}`;
    console.log(`${finding.severity} ${finding.packageName} ${finding.id} (${note})`);
  }
  console.log(
    `scan of ${digest}: ${String(state.findings.length)} findings, ${String(blocked.length)} blocking` +
      (problems.length === 0 ? '' : `, ${String(problems.length)} allow-list problems`),
  );
  return blocked.length === 0 && problems.length === 0 ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) process.exit(await main());
