/**
 * A bounded load test of a running service:
 *
 *   npm run loadtest -- <base-url> [--duration <s>] [--rate <rps>] [--connections <n>]
 *                                  [--environment <name>] [--path <path>] [--junit <file>]
 *
 * Bounds: each has a default and a cap (infra/lib/load-test.ts); a value above the cap, zero or not a whole number is
 * refused. Against anything but this machine's loopback every bound must be given: a deployed service is never
 * loaded by defaults. Thresholds (error rate, p99, achieved rate) are the environment's (infra/lib/environments.ts,
 * staging by default). LOAD_TEST_TOKEN, when set, is sent in the header that exempts the pipeline from the web ACL's
 * per-IP rate rule. One line per threshold, JUnit (default reports/loadtest.xml); exit code 0 when every threshold
 * held, 1 when one failed or the arguments are wrong.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LOAD_BOUNDS, LOAD_TEST_HEADER, type LoadBoundName } from '../infra/lib/load-test.ts';
import { IDENTITY } from '../src/identity.ts';
import { junitXml, type JUnitCase } from '../tools/junit.ts';
import { runLoad } from '../tools/load.ts';
import { targetCommandLine, usageError } from '../tools/target-command-line.ts';

const USAGE =
  'usage: npm run loadtest -- <base-url> [--duration <s>] [--rate <rps>] [--connections <n>] ' +
  '[--environment <name>] [--path <path>] [--junit <file>]';

const { values, target } = targetCommandLine(USAGE, {
  duration: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  environment: { type: 'string', default: 'staging' },
  path: { type: 'string', default: IDENTITY.healthPath },
  junit: { type: 'string', default: join('reports', 'loadtest.xml') },
});
if (!values.path.startsWith('/')) usageError(`--path "${values.path}" is invalid: expected a path that starts with /`);

const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(target).hostname);
function bound(name: LoadBoundName): number {
  const { default: fallback, cap, unit } = LOAD_BOUNDS[name];
  const given = values[name];
  if (given === undefined) {
    if (!loopback) usageError(`--${name} is required against ${target}: only a loopback target runs on defaults`);
    return fallback;
  }
  const value = Number(given);
  if (!/^\d+$/.test(given) || value < 1 || value > cap) {
    usageError(`--${name} "${given}" is invalid: expected a whole number of ${unit} from 1 to ${cap}`);
  }
  return value;
}
const duration = bound('duration');
const rate = bound('rate');
const connections = bound('connections');

// Imported once the bounds are checked: the settings bring in aws-cdk-lib, a second of start-up to refuse a typo.
const { ENVIRONMENTS } = await import('../infra/lib/environments.ts');
const environment = ENVIRONMENTS.find((candidate) => candidate.name === values.environment);
if (environment === undefined) {
  usageError(
    `--environment "${values.environment}" is unknown: expected one of ${ENVIRONMENTS.map((e) => e.name).join(', ')}`,
  );
}
const thresholds = environment.promotionChecks?.loadTest;
if (thresholds === undefined)
  usageError(`${environment.name} has no promotionChecks.loadTest in infra/lib/environments.ts`);

const url = target.replace(/\/+$/, '') + values.path;
const token = process.env.LOAD_TEST_TOKEN;
console.log(
  `load test of ${url}: ${duration} s at ${rate} requests a second over ${connections} connections, ` +
    `with the thresholds of ${environment.name}${token ? ', exempt from the per-IP rate rule' : ''}`,
);
const result = await runLoad(url, connections, duration, undefined, {
  overallRate: rate,
  ...(token ? { headers: { [LOAD_TEST_HEADER]: token } } : {}),
});

// Socket errors and timeouts have no answer: a run of nothing but those is all errors.
const errorRate = result.errors / Math.max(1, result.responses, result.errors);
const achievedShare = result.requestsPerSecond / rate;
const percent = (share: number) => `${(share * 100).toFixed(2)} %`;
const cases: JUnitCase[] = [
  {
    name: 'error rate',
    line: `error rate ${percent(errorRate)} (${result.errors} of ${result.responses} answers; at most ${percent(thresholds.maxErrorRate)})`,
    ok: errorRate <= thresholds.maxErrorRate,
  },
  {
    name: 'p99 latency',
    line: `p99 ${result.p99Ms.toFixed(1)} ms (at most ${thresholds.maxP99Ms} ms)`,
    ok: result.p99Ms <= thresholds.maxP99Ms,
  },
  {
    name: 'achieved rate',
    line: `achieved ${result.requestsPerSecond.toFixed(1)} requests a second, ${percent(achievedShare)} of ${rate} (at least ${percent(thresholds.minAchievedRateShare)})`,
    ok: achievedShare >= thresholds.minAchievedRateShare,
  },
].map(({ name, line, ok }) => {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${line}`);
  return { name, seconds: result.seconds, ...(ok ? {} : { failure: line }) };
});
console.log(`status codes: ${JSON.stringify(result.statusCodes)}`);

const junit = resolve(values.junit);
mkdirSync(dirname(junit), { recursive: true });
// The three thresholds judge one run: the suite took its length, not three times it.
writeFileSync(junit, junitXml(`load test of ${url}`, cases, result.seconds));
const failed = cases.filter((c) => c.failure !== undefined).length;
console.log(failed === 0 ? 'every threshold held' : `${failed} threshold(s) failed`);
process.exit(failed === 0 ? 0 : 1);
