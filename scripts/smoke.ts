/**
 * Smoke test of a running service: `npm run smoke -- <base-url> [--timeout-ms 5000]`. It runs the identity's checks
 * (src/identity.ts), as the synthetic check does. The pipeline runs it against staging and production after each
 * deploy; `npm test` runs it against a local server. One line per check, then a summary; exit code 0 when
 * every check passed, 1 when one failed, 2 on a usage error.
 */
import { IDENTITY, type Check } from '../src/identity.ts';
import { targetCommandLine, usageError } from '../tools/target-command-line.ts';
import { CACHE_BYPASS_HEADER, cacheBypassValue, expectation, verify } from '../tools/post-deploy-checks.ts';

const USAGE = 'usage: npm run smoke -- <base-url> [--timeout-ms <ms>]   e.g. npm run smoke -- http://localhost:8080';

const CHECKS: readonly Check[] = IDENTITY.checks;

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return `request failed: ${cause?.code ?? cause?.message ?? String(error)}`;
}

/** One value for the run: every cached answer it sees comes from the revision deployed now, not the edge cache. */
const BYPASS = cacheBypassValue();

async function run(check: Check, base: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(base + check.path, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
      headers: { 'user-agent': `${IDENTITY.slug}-smoke`, [CACHE_BYPASS_HEADER]: BYPASS },
    });
    const text = await response.text();
    return verify(check, { status: response.status, contentType: response.headers.get('content-type') ?? '', text });
  } catch (error) {
    return describeError(error, timeoutMs);
  }
}

const { values, target } = targetCommandLine(USAGE, { 'timeout-ms': { type: 'string', default: '5000' } }, 2);
const timeoutMs = Number(values['timeout-ms']);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
  usageError(
    `--timeout-ms "${values['timeout-ms']}" is invalid: expected a whole number of milliseconds from 1 to 60000`,
    2,
  );
}

const base = target.replace(/\/+$/, '');
const started = performance.now();
console.log(`smoke test of ${base} (${CHECKS.length} checks, ${timeoutMs} ms timeout each)`);
let failed = 0;
for (const check of CHECKS) {
  const problem = await run(check, base, timeoutMs);
  if (problem === undefined) {
    console.log(`ok    GET ${check.path} → ${expectation(check)}`);
  } else {
    failed += 1;
    console.log(`FAIL  GET ${check.path}: expected ${expectation(check)}, ${problem}`);
  }
}
const elapsed = Math.round(performance.now() - started);
console.log(
  `${failed === 0 ? 'passed' : 'FAILED'}: ${CHECKS.length - failed} of ${CHECKS.length} checks in ${elapsed} ms`,
);
process.exitCode = failed === 0 ? 0 : 1;
