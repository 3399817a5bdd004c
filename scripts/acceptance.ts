/**
 * Acceptance test of a running service: `npm run acceptance -- <base-url> [--junit <file>] [--suites all|http|browser]`. It runs the contract
 * suites (every route's statuses, headers, errors and worked examples, test/**\/routes) and the browser suites
 * (Swagger UI's "Try it out", the mirror page, test/**\/e2e) against that URL instead of the app in process: the
 * same files as `npm test`, with ACCEPTANCE_BASE_URL set (test/helpers/target.ts). Tests that only make sense in
 * process say so and are skipped. Writes JUnit (default reports/acceptance.xml) beside the spec output; the exit
 * code is node:test's (0 when all passed, 1 when one failed), and 1 on a usage error too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../tools/root.ts';
import { targetCommandLine, usageError } from '../tools/target-command-line.ts';

/**
 * The acceptance suites: the HTTP contract suites and the browser suites of the platform and of whatever service it
 * carries, chosen by folder, so that a service's own suites join by where they live.
 */
export const ACCEPTANCE_SUITES = {
  http: ['test/**/routes/*.test.ts'],
  browser: ['test/**/e2e/*.test.ts'],
} as const;
type Suites = keyof typeof ACCEPTANCE_SUITES | 'all';

const USAGE =
  'usage: npm run acceptance -- <base-url> [--junit <file>]   e.g. npm run acceptance -- https://staging.example.com';

const { values, target } = targetCommandLine(USAGE, {
  junit: { type: 'string', default: join('reports', 'acceptance.xml') },
  suites: { type: 'string', default: 'all' },
});
if (!['all', 'http', 'browser'].includes(values.suites)) {
  usageError(`--suites "${values.suites}" is invalid: expected all, http or browser\n${USAGE}`);
}
const chosen = values.suites as Suites;
const files = chosen === 'all' ? [...ACCEPTANCE_SUITES.http, ...ACCEPTANCE_SUITES.browser] : ACCEPTANCE_SUITES[chosen];
const junit = resolve(values.junit);
mkdirSync(dirname(junit), { recursive: true });

// Run from inside a test (test/scripts/acceptance.test.ts), node:test would report to that test's runner instead.
const env: NodeJS.ProcessEnv = { ...process.env, ACCEPTANCE_BASE_URL: target };
delete env.NODE_TEST_CONTEXT;
console.log(`acceptance test of ${target}: ${files.join(', ')}; JUnit in ${junit}`);
const { status, signal } = spawnSync(
  process.execPath,
  [
    '--test',
    // Two files at a time, as npm test runs them: each browser suite starts a browser of its own.
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=junit',
    `--test-reporter-destination=${junit}`,
    ...files,
  ],
  { cwd: ROOT, stdio: 'inherit', env },
);
process.exit(status ?? (signal === null ? 1 : 128));
