/**
 * The pipeline's Resilience action, while the LoadTest action loads the same service: waits START_AFTER_SECONDS,
 * starts the FIS experiment (service/resilience-experiment.ts), waits for it to complete, then for the service to
 * run its desired count again, with a task that was not running before: all within RECOVERY_SECONDS of the start.
 * It fails when an alarm stops the experiment, when the experiment fails, or when the time runs out. The error rate
 * under the fault is the load test's to judge: its run covers this one. Writes JUnit (JUNIT, default
 * reports/resilience.xml); exit code 0 when the service recovered, 1 otherwise.
 *
 * Runs as `node infra/lib/pipeline/resilience-experiment.ts`, with the AWS CLI on PATH and credentials of the
 * environment's promotion-check role; the Node.js built-ins only, so it needs no `npm ci`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { junitXml } from '../../../tools/junit.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') fail(`${name} is not set: the Resilience action passes it`);
  return value;
}

function seconds(name: string, fallback?: number): number {
  const given = process.env[name];
  if ((given === undefined || given === '') && fallback !== undefined) return fallback;
  const value = Number(given);
  if (given === undefined || !/^\d+(\.\d+)?$/.test(given) || !(value >= 0)) {
    fail(`${name} "${given ?? ''}" is invalid: expected a number of seconds`);
  }
  return value;
}

const templateId = required('EXPERIMENT_TEMPLATE_ID');
const cluster = required('CLUSTER_NAME');
const service = required('SERVICE_NAME');
const startAfter = seconds('START_AFTER_SECONDS');
const recovery = seconds('RECOVERY_SECONDS');
/** How often the state is read: CloudWatch's and ECS's own pace is seconds, not milliseconds. */
const poll = seconds('POLL_SECONDS', 10);
const junit = resolve(process.env.JUNIT || 'reports/resilience.xml');

/** One AWS CLI call, its JSON answer parsed; a failed call ends the run, naming it. */
function aws(...args: string[]): unknown {
  const result = spawnSync('aws', [...args, '--output', 'json'], { encoding: 'utf8' });
  if (result.error !== undefined) {
    fail(
      (result.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the AWS CLI (aws) is not on PATH: the Resilience action runs on an image that has it'
        : `aws ${args.slice(0, 2).join(' ')}: ${result.error.message}`,
    );
  }
  if (result.status !== 0)
    fail(`aws ${args.slice(0, 2).join(' ')} failed (exit ${result.status}): ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as unknown;
}

const runningTasks = (): string[] =>
  (
    aws('ecs', 'list-tasks', '--cluster', cluster, '--service-name', service, '--desired-status', 'RUNNING') as {
      taskArns: string[];
    }
  ).taskArns;

function finish(failure?: string): never {
  const elapsed = (performance.now() - started) / 1000;
  mkdirSync(dirname(junit), { recursive: true });
  writeFileSync(
    junit,
    junitXml(`resilience experiment ${templateId}`, [
      { name: `${service} recovers from its stopped tasks within ${recovery} s`, seconds: elapsed, failure },
    ]),
  );
  if (failure !== undefined) fail(`FAIL ${failure}`);
  console.log(`PASS ${service} runs its desired count again, ${Math.round(elapsed)} s after the experiment started`);
  process.exit(0);
}

// Fails early, before any wait, when the CLI or the credentials are missing.
aws('sts', 'get-caller-identity');
console.log(`resilience experiment ${templateId} on ${cluster}/${service}: starts in ${startAfter} s`);
await sleep(startAfter * 1000);
const before = new Set(runningTasks());
const started = performance.now();
const deadline = started + recovery * 1000;
const experiment = (
  aws('fis', 'start-experiment', '--experiment-template-id', templateId) as { experiment: { id: string } }
).experiment.id;
console.log(`started experiment ${experiment}; ${before.size} tasks were running`);

for (;;) {
  const { status, reason } = (
    aws('fis', 'get-experiment', '--id', experiment) as { experiment: { state: { status: string; reason?: string } } }
  ).experiment.state;
  if (status === 'completed') break;
  if (status === 'stopped')
    finish(`experiment ${experiment} was stopped by a stop condition (an alarm): ${reason ?? ''}`);
  if (['failed', 'cancelled'].includes(status)) finish(`experiment ${experiment} ${status}: ${reason ?? ''}`);
  if (performance.now() > deadline) finish(`experiment ${experiment} still ${status} after ${recovery} s`);
  await sleep(poll * 1000);
}
console.log(`experiment ${experiment} completed; waiting for ${service} to run its desired count again`);

for (;;) {
  const [state] = (
    aws('ecs', 'describe-services', '--cluster', cluster, '--services', service) as {
      services: { runningCount: number; pendingCount: number; desiredCount: number }[];
    }
  ).services;
  if (state === undefined) finish(`${cluster}/${service} is not a service`);
  const replaced = runningTasks().some((task) => !before.has(task));
  if (replaced && state.runningCount >= state.desiredCount && state.pendingCount === 0) finish();
  if (performance.now() > deadline) {
    finish(
      `${service} runs ${state.runningCount} of ${state.desiredCount} tasks (${state.pendingCount} pending` +
        `${replaced ? '' : ', none of them new'}) ${recovery} s after the experiment started`,
    );
  }
  await sleep(poll * 1000);
}
