/**
 * Runs resilience-experiment.ts, as the Resilience action does, against a stand-in `aws` that plays FIS and ECS from
 * a scenario file: the experiment's states one poll after another, the service's counts and running tasks likewise.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../../tools/root.ts';
import { readJUnit } from '../helpers/junit.ts';

const SCRIPT = join(ROOT, 'infra/lib/pipeline/resilience-experiment.ts');

interface Scenario {
  /** The experiment's status at each get-experiment call; the last one repeats. */
  readonly experiment: readonly string[];
  /** [running, pending, desired] at each describe-services call; the last one repeats. */
  readonly counts: readonly (readonly [number, number, number])[];
  /** The running tasks at each list-tasks call; the last one repeats. */
  readonly tasks: readonly (readonly string[])[];
}

let workspace: string;
before(() => {
  workspace = mkdtempSync(join(tmpdir(), 'resilience-'));
  const aws = join(workspace, 'aws');
  writeFileSync(
    aws,
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const s = JSON.parse(fs.readFileSync(process.env.SCENARIO, 'utf8'));
const calls = fs.existsSync(process.env.CALLS) ? fs.readFileSync(process.env.CALLS, 'utf8').split('\\n').filter(Boolean) : [];
const seen = (command) => calls.filter((call) => call.startsWith(command)).length;
const pick = (list, command) => list[Math.min(seen(command), list.length - 1)];
const command = args.slice(0, 2).join(' ');
fs.appendFileSync(process.env.CALLS, args.join(' ') + '\\n');
if (args.at(-2) !== '--output' || args.at(-1) !== 'json') { console.error('not --output json'); process.exit(2); }
const out = (value) => { console.log(JSON.stringify(value)); process.exit(0); };
if (command === 'sts get-caller-identity') out({ Account: '111111111111' });
if (command === 'fis start-experiment') {
  if (arg('--experiment-template-id') !== 'EXT123') { console.error('ResourceNotFoundException'); process.exit(254); }
  out({ experiment: { id: 'EXP1', state: { status: 'initiating' } } });
}
if (command === 'fis get-experiment') {
  const status = pick(s.experiment, command);
  out({ experiment: { id: arg('--id'), state: { status, reason: status === 'stopped' ? 'Experiment stopped by stop condition' : undefined } } });
}
if (command === 'ecs list-tasks') out({ taskArns: pick(s.tasks, command) });
if (command === 'ecs describe-services') {
  const [runningCount, pendingCount, desiredCount] = pick(s.counts, command);
  out({ services: [{ serviceName: arg('--services'), runningCount, pendingCount, desiredCount }] });
}
console.error('unexpected aws call: ' + command); process.exit(2);
`,
  );
  chmodSync(aws, 0o755);
});
after(() => rmSync(workspace, { recursive: true, force: true }));

const ENV = {
  EXPERIMENT_TEMPLATE_ID: 'EXT123',
  CLUSTER_NAME: 'cluster',
  SERVICE_NAME: 'service',
  START_AFTER_SECONDS: '0',
  // Ample for the calls below (each starts a Node.js); the tests that run out of time set 2.
  RECOVERY_SECONDS: '20',
  POLL_SECONDS: '0.05',
};

const SHORT = { ...ENV, RECOVERY_SECONDS: '2' };

function run(scenario: Scenario | undefined, env: Record<string, string> = ENV, path = [workspace]) {
  const name = mkdtempSync(join(workspace, 'run-'));
  const scenarioFile = join(name, 'scenario.json');
  const calls = join(name, 'calls.log');
  const junit = join(name, 'resilience.xml');
  if (scenario) writeFileSync(scenarioFile, JSON.stringify(scenario));
  const result = spawnSync(process.execPath, [SCRIPT], {
    cwd: ROOT,
    env: {
      PATH: [...path, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      SCENARIO: scenarioFile,
      CALLS: calls,
      JUNIT: junit,
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return { ...result, calls: read(calls).trimEnd().split('\n').filter(Boolean), junit, hasJunit: read(junit) !== '' };
}

const BEFORE = ['task/a', 'task/b'];

suite('the Resilience action: FIS stops tasks, the service must recover in time', () => {
  test('the experiment completes and a new task runs beside the survivor: exit 0, one passed JUnit case', () => {
    const result = run({
      experiment: ['running', 'running', 'completed'],
      counts: [
        [1, 1, 2],
        [2, 0, 2],
      ],
      tasks: [BEFORE, ['task/b'], ['task/b', 'task/c']],
    });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /^PASS service runs its desired count again, \d+ s after the experiment started$/m);
    assert.deepEqual(result.calls.slice(0, 3), [
      'sts get-caller-identity --output json',
      'ecs list-tasks --cluster cluster --service-name service --desired-status RUNNING --output json',
      'fis start-experiment --experiment-template-id EXT123 --output json',
    ]);
    assert.deepEqual(
      readJUnit(result.junit).map((c) => c.outcome),
      ['passed'],
    );
  });

  test('an alarm stops the experiment: exit 1, naming the stop condition', () => {
    const result = run({ experiment: ['running', 'stopped'], counts: [[2, 0, 2]], tasks: [BEFORE] });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^FAIL experiment EXP1 was stopped by a stop condition \(an alarm\): Experiment stopped by stop condition$/m,
    );
    assert.deepEqual(
      readJUnit(result.junit).map((c) => c.outcome),
      ['failed'],
    );
    assert.ok(!result.calls.some((call) => call.startsWith('ecs describe-services')));
  });

  test('the experiment never ends within the recovery time: exit 1, saying where it stuck', () => {
    const result = run({ experiment: ['running'], counts: [[2, 0, 2]], tasks: [BEFORE] }, SHORT);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^FAIL experiment EXP1 still running after 2 s$/m);
  });

  test('the service is not back at its desired count in time: exit 1, with the counts', () => {
    const result = run({ experiment: ['completed'], counts: [[1, 1, 2]], tasks: [['task/b']] }, SHORT);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^FAIL service runs 1 of 2 tasks \(1 pending, none of them new\) 2 s after the experiment started$/m,
    );
    assert.deepEqual(
      readJUnit(result.junit).map((c) => c.outcome),
      ['failed'],
    );
  });

  test('the count looks whole only because the stopped task has not left yet: not a recovery', () => {
    // ECS still counts the draining task: no new task runs, so the service has not yet shown it recovers.
    const result = run({ experiment: ['completed'], counts: [[2, 0, 2]], tasks: [BEFORE] }, SHORT);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^FAIL service runs 2 of 2 tasks \(0 pending, none of them new\)/m);
  });

  test('no AWS CLI on PATH: exit 1, saying so, before any wait', () => {
    const result = run(undefined, { ...ENV, START_AFTER_SECONDS: '60' }, []);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^the AWS CLI \(aws\) is not on PATH/m);
    assert.equal(result.hasJunit, false);
  });

  for (const [name, env, message] of [
    ['no template id', { ...ENV, EXPERIMENT_TEMPLATE_ID: '' }, /^EXPERIMENT_TEMPLATE_ID is not set/],
    [
      'a recovery time that is not a number',
      { ...ENV, RECOVERY_SECONDS: 'soon' },
      /^RECOVERY_SECONDS "soon" is invalid/,
    ],
  ] as const) {
    test(`${name}: exit 1 before any AWS call`, () => {
      const result = run({ experiment: ['completed'], counts: [[2, 0, 2]], tasks: [BEFORE] }, env);
      assert.equal(result.status, 1);
      assert.match(result.stderr, message);
      assert.deepEqual(result.calls, []);
    });
  }
});
