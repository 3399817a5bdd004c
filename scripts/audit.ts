/**
 * `npm audit` of the production dependencies, with a policy instead of its bare exit code (docs/ci-cd.md#npm-audit):
 * a high or critical advisory blocks, unless audit-allowlist.json names it with a reason and an expiry date; an
 * entry past its date, or without a reason, blocks too. Moderate and lower advisories are printed, not blocking.
 *
 * When the audit endpoint does not answer (no network, or a proxy that refuses the POST), it prints one line,
 * "skipped: audit endpoint unreachable", and passes; with --require-endpoint, and always on GitHub Actions and
 * CodeBuild (GITHUB_ACTIONS=true, CODEBUILD_BUILD_ID set), that fails instead, so CI can never pass without an
 * answer. Anything else it cannot read fails.
 *
 * Usage: node scripts/audit.ts [--require-endpoint] [--allowlist <file>] [--input <npm audit --json output>]
 *        [--today YYYY-MM-DD]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  allowedIds,
  allowListProblems as sharedProblems,
  readAllowList,
  type AllowEntry,
} from '../tools/allow-list.ts';
import { ROOT } from '../tools/root.ts';

export type { AllowEntry };

/** npm audit's allow list names GitHub advisories, GHSA-xxxx-xxxx-xxxx. */
const GHSA_ID = 'GHSA-[23456789cfghjmpqrvwx]{4}-[23456789cfghjmpqrvwx]{4}-[23456789cfghjmpqrvwx]{4}';
const GHSA = { pattern: new RegExp(`^${GHSA_ID}$`), kind: 'GHSA id' };

export interface Advisory {
  readonly id: string;
  readonly packageName: string;
  readonly severity: string;
  readonly title: string;
}

export type AuditResult =
  | { readonly kind: 'unreachable'; readonly detail: string }
  | { readonly kind: 'report'; readonly advisories: readonly Advisory[] };

const BLOCKING = new Set(['high', 'critical']);
const NETWORK_ERRORS = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface Via {
  readonly url?: string;
  readonly name?: string;
  readonly severity?: string;
  readonly title?: string;
}

/** Whether the audit must get an answer: on request, and in CI, where the registry is reachable. */
export function endpointRequired(requested: boolean, env: NodeJS.ProcessEnv): boolean {
  return requested || env.GITHUB_ACTIONS === 'true' || (env.CODEBUILD_BUILD_ID ?? '') !== '';
}

/** Reads `npm audit --json`: its report, or the sign that the audit endpoint gave no answer. Throws otherwise. */
export function readAudit(json: string): AuditResult {
  let parsed: {
    vulnerabilities?: Record<string, { via?: (Via | string)[] }>;
    error?: { code?: string; summary?: string };
    uri?: string;
    statusCode?: number;
  };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    throw new Error(`npm audit printed no JSON: ${json.slice(0, 200)}`);
  }
  if (parsed.vulnerabilities !== undefined) {
    const advisories = new Map<string, Advisory>();
    for (const vulnerability of Object.values(parsed.vulnerabilities)) {
      for (const via of vulnerability.via ?? []) {
        // A string names another vulnerable package, whose own entry lists the advisory.
        if (typeof via === 'string') continue;
        const id = new RegExp(GHSA_ID).exec(via.url ?? '')?.[0] ?? via.url ?? 'unknown advisory';
        advisories.set(`${id} ${via.name ?? ''}`, {
          id,
          packageName: via.name ?? 'unknown package',
          severity: via.severity ?? 'unknown',
          title: via.title ?? '',
        });
      }
    }
    return { kind: 'report', advisories: [...advisories.values()] };
  }
  const code = parsed.error?.code;
  if (code !== undefined && NETWORK_ERRORS.has(code)) return { kind: 'unreachable', detail: code };
  // The endpoint answered with an HTTP error (a proxy refusing the POST, a registry outage): no report.
  if (parsed.uri?.includes('/-/npm/v1/security/') === true && (parsed.statusCode ?? 0) >= 400) {
    return { kind: 'unreachable', detail: `HTTP ${String(parsed.statusCode)} from ${parsed.uri}` };
  }
  throw new Error(`npm audit gave neither a report nor a network error: ${json.slice(0, 300)}`);
}

/** The problems with the allow list itself: malformed, without a reason, or expired on `today`. */
export function allowListProblems(entries: readonly AllowEntry[], today: string): string[] {
  return sharedProblems(entries, today, GHSA);
}

/** The advisories that block: high or critical, and not allowed by a valid entry. */
export function blocking(advisories: readonly Advisory[], entries: readonly AllowEntry[], today: string): Advisory[] {
  const valid = allowedIds(entries, today, GHSA);
  return advisories.filter((advisory) => BLOCKING.has(advisory.severity) && !valid.has(advisory.id));
}

function main(): number {
  const { values } = parseArgs({
    options: {
      'require-endpoint': { type: 'boolean', default: false },
      allowlist: { type: 'string', default: join(ROOT, 'audit-allowlist.json') },
      input: { type: 'string' },
      today: { type: 'string', default: new Date().toISOString().slice(0, 10) },
    },
  });
  const json =
    values.input === undefined
      ? spawnSync('npm', ['audit', '--json', '--omit=dev'], { cwd: ROOT, encoding: 'utf8' }).stdout
      : // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's own --input file
        readFileSync(values.input, 'utf8');
  const entries = readAllowList(values.allowlist);
  const problems = allowListProblems(entries, values.today);
  for (const problem of problems) console.error(`audit allow list: ${problem}`);

  const result = readAudit(json);
  if (result.kind === 'unreachable') {
    if (endpointRequired(values['require-endpoint'], process.env)) {
      console.error(`audit endpoint unreachable (${result.detail}): the audit cannot pass without an answer`);
      return 1;
    }
    console.log('skipped: audit endpoint unreachable');
    return problems.length === 0 ? 0 : 1;
  }
  for (const advisory of result.advisories) {
    const allowed = entries.find((entry) => entry.id === advisory.id);
    const note = allowed === undefined ? '' : ` (allowed until ${allowed.expires}: ${allowed.reason})`;
    console.log(`${advisory.severity} ${advisory.packageName} ${advisory.id} ${advisory.title}${note}`);
  }
  const blocked = blocking(result.advisories, entries, values.today);
  for (const advisory of blocked) {
    console.error(
      `blocking: ${advisory.severity} ${advisory.packageName} ${advisory.id}: upgrade, or allow it for a while`,
    );
  }
  console.log(`${String(result.advisories.length)} advisories, ${String(blocked.length)} blocking`);
  return blocked.length === 0 && problems.length === 0 ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) process.exit(main());
