/**
 * `npm test`: every suite under test/, with the spec reporter and the coverage gate (95 % of the lines in src/).
 * `npm run test:ci` also writes reports/junit.xml and reports/lcov.info, which CodeBuild and GitHub Actions publish.
 * Further arguments choose the files, without the coverage gate: `npm test -- test/mirror.test.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tools/root.ts';

const { values, positionals } = parseArgs({
  options: { ci: { type: 'boolean', default: false } },
  allowPositionals: true,
});

const reports = join(ROOT, 'reports');
if (values.ci) mkdirSync(reports, { recursive: true });

const args = [
  '--test',
  // Two files at a time: the load and real-socket suites measure time, and more would starve them on a small machine.
  '--test-concurrency=2',
  // A few chosen files cover a fraction of src/, so only the whole run is held to the gate.
  ...(positionals.length > 0
    ? []
    : ['--experimental-test-coverage', '--test-coverage-include=src/**', '--test-coverage-lines=95']),
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  ...(values.ci
    ? [
        '--test-reporter=junit',
        `--test-reporter-destination=${join(reports, 'junit.xml')}`,
        '--test-reporter=lcov',
        `--test-reporter-destination=${join(reports, 'lcov.info')}`,
      ]
    : []),
  ...(positionals.length > 0 ? positionals : ['test/**/*.test.ts']),
];

const { status, signal } = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
process.exit(status ?? (signal === null ? 1 : 128));
