/**
 * Smoke test of a running Clock Mirror: `npm run smoke -- <base-url> [--timeout-ms 5000]`.
 * The pipeline runs it against staging and production after each deploy; `npm test`
 * runs it against a local server. One line per check, then a summary; exit code 0 when
 * every check passed, 1 when one failed, 2 on a usage error.
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { WORKED_EXAMPLES } from '../src/worked-examples.ts';

const USAGE = 'usage: npm run smoke -- <base-url> [--timeout-ms <ms>]   e.g. npm run smoke -- http://localhost:8080';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

interface Check {
  readonly path: string;
  /** What is expected, for the output line. */
  readonly expect: string;
  /** Returns undefined when the answer is right, or what is wrong with it. */
  readonly verify: (answer: Answer) => string | undefined;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const brief = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

function jsonCheck(path: string, status: number, body: unknown): Check {
  const expected = JSON.stringify(body);
  return {
    path,
    expect: `${status} ${expected}`,
    verify: (answer) =>
      answer.status === status && isDeepStrictEqual(parseJson(answer.text), body)
        ? undefined
        : `got ${answer.status} ${brief(answer.text)}`,
  };
}

const CHECKS: readonly Check[] = [
  jsonCheck('/health', 200, { status: 'ok' }),
  ...WORKED_EXAMPLES.map(([seen, actual]) =>
    jsonCheck(`/clock?mirror_time=${seen}`, 200, { mirror_time: seen, actual_time: actual }),
  ),
  {
    path: '/clock?mirror_time=13:20',
    expect: '400 with a JSON message naming mirror_time',
    verify: (answer) => {
      const body = parseJson(answer.text) as { message?: unknown } | undefined;
      return answer.status === 400 && typeof body?.message === 'string' && body.message.includes('mirror_time')
        ? undefined
        : `got ${answer.status} ${brief(answer.text)}`;
    },
  },
  {
    path: '/',
    expect: '200 Swagger UI (text/html)',
    verify: (answer) =>
      answer.status === 200 && answer.contentType.startsWith('text/html') && answer.text.includes('Swagger UI')
        ? undefined
        : `got ${answer.status} ${answer.contentType || 'no content type'} ${brief(answer.text)}`,
  },
];

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return `request failed: ${cause?.code ?? cause?.message ?? String(error)}`;
}

async function run(check: Check, base: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(base + check.path, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
      headers: { 'user-agent': 'clock-mirror-smoke' },
    });
    const text = await response.text();
    return check.verify({ status: response.status, contentType: response.headers.get('content-type') ?? '', text });
  } catch (error) {
    return describeError(error, timeoutMs);
  }
}

const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { 'timeout-ms': { type: 'string', default: '5000' } } });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
const [target, ...extra] = positionals;
if (target === undefined || extra.length > 0) fail(USAGE);
if (!URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) {
  fail(`"${target}" is not an http(s) URL\n${USAGE}`);
}
const timeoutMs = Number(values['timeout-ms']);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
  fail(`--timeout-ms "${values['timeout-ms']}" is invalid: expected a whole number of milliseconds from 1 to 60000`);
}

const base = target.replace(/\/+$/, '');
const started = performance.now();
console.log(`smoke test of ${base} (${CHECKS.length} checks, ${timeoutMs} ms timeout each)`);
let failed = 0;
for (const check of CHECKS) {
  const problem = await run(check, base, timeoutMs);
  if (problem === undefined) {
    console.log(`ok    GET ${check.path} → ${check.expect}`);
  } else {
    failed += 1;
    console.log(`FAIL  GET ${check.path}: expected ${check.expect}, ${problem}`);
  }
}
const elapsed = Math.round(performance.now() - started);
console.log(
  `${failed === 0 ? 'passed' : 'FAILED'}: ${CHECKS.length - failed} of ${CHECKS.length} checks in ${elapsed} ms`,
);
process.exitCode = failed === 0 ? 0 : 1;
