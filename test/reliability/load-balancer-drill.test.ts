/**
 * Deployments behind a real load balancer: haproxy stands in for the ALB, configured from the synthesised Service
 * stack, and the targets are the service started as the image starts it. Four scenarios, each under continuous load
 * from a client that keeps its connections alive. docs/reliability.md explains the drill and the stand-in's limits.
 *
 *   npm test           scaled: every duration from the stack times DRILL_SCALE (default 1/50)
 *   npm run drill      DRILL_SCALE=1: the stack's real durations, about 28 minutes
 *
 * Scaled, the idle-timeout race cannot lose a request: the load balancer's idle timeout shrinks (1200 ms at 1/50), but
 * a target keeps an idle connection at least 2000 ms (the service's minimum KEEP_ALIVE_TIMEOUT_MS, 1000, plus Node's
 * keepAliveTimeoutBuffer, 1000, which no scale touches). So the scenario also asserts the rule on the stack's
 * unscaled values: its KEEP_ALIVE_TIMEOUT_MS exceeds the load balancer's idle timeout.
 *
 * DRILL_KEEP_ALIVE_TIMEOUT_MS sets the targets' KEEP_ALIVE_TIMEOUT_MS as given (not scaled), instead of the stack's
 * value scaled. Below the load balancer's idle timeout, the race loses requests, as it must, but only with
 * DRILL_SCALE=1.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../tools/root.ts';
import { execForm, instructions, readDockerfile, stageEnv } from '../../tools/dockerfile.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { albSettings, scaled, type AlbSettings } from './alb-settings.ts';
import { findHaproxy, INSTALL_HINT, startHaproxy, type Haproxy } from './haproxy.ts';
import { startLoad, summarise, type LoadOptions, type Outcome } from './keep-alive-load.ts';
import { random, SEED } from './settings.ts';

const SCALE = Number(process.env.DRILL_SCALE ?? 1 / 50);
const KEEP_ALIVE_OVERRIDE = process.env.DRILL_KEEP_ALIVE_TIMEOUT_MS;
const HAPROXY = findHaproxy();
const REQUIRED = process.env.REQUIRE_HAPROXY === '1';

/** The load: a browser-like client, 8 keep-alive connections, each pausing 10 ms between answer and next request. */
const LANES = 8;
const PAUSE_MS = 10;
const MAX_REQUESTS = 2_000_000;

/**
 * Scaled down, a health check would have 100 ms to answer, and on a busy machine a check would then fail that AWS
 * would pass, taking a healthy target out mid-scenario. Every failure the drill provokes is a refusal or a 503,
 * answered at once, so a longer check timeout changes none of its figures.
 */
const CHECK_TIMEOUT_FLOOR_MS = 1_000;

/** Node keeps an idle socket open this much longer than the keep-alive timeout it announces (server.keepAliveTimeoutBuffer). */
const NODE_KEEP_ALIVE_BUFFER_MS = (createServer() as { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer ?? 0;

/** The stack's settings as they deploy. */
let REAL: AlbSettings;
/** The same, durations times DRILL_SCALE: as the drill runs them. */
let S: AlbSettings;
let KEEP_ALIVE_MS: number;
const rows: { scenario: string; requests: number; failures: number; p99Ms: number; converge: string }[] = [];

before(() => {
  if (HAPROXY === undefined) return;
  REAL = albSettings(process.env.DRILL_ENVIRONMENT ?? 'staging');
  const short = scaled(REAL, SCALE);
  S = { ...short, healthCheckTimeoutMs: Math.max(short.healthCheckTimeoutMs, CHECK_TIMEOUT_FLOOR_MS) };
  KEEP_ALIVE_MS = KEEP_ALIVE_OVERRIDE === undefined ? S.keepAliveTimeoutMs : Number(KEEP_ALIVE_OVERRIDE);
  console.log(
    `load-balancer drill: ${REAL.environment} Service stack, durations x ${SCALE}: health check ${S.healthCheckPath} ` +
      `every ${S.healthCheckIntervalMs} ms (timeout ${S.healthCheckTimeoutMs} ms${S.healthCheckTimeoutMs > short.healthCheckTimeoutMs ? `, raised from ${short.healthCheckTimeoutMs}` : ''}, healthy ${S.healthyThreshold}, ` +
      `unhealthy ${S.unhealthyThreshold}), deregistration delay ${S.deregistrationDelayMs} ms, idle timeout ` +
      `${S.idleTimeoutMs} ms, targets' keep-alive ${KEEP_ALIVE_MS} ms` +
      `${KEEP_ALIVE_OVERRIDE === undefined ? '' : ' (DRILL_KEEP_ALIVE_TIMEOUT_MS)'}, canary ${S.canaryPercent} % ` +
      `baking ${S.canaryBakeMs} ms, then ${S.deploymentBakeMs} ms before the old tasks are deregistered`,
  );
});

after(() => {
  if (rows.length === 0) return;
  const header = ['scenario', 'requests', 'failures', 'p99 ms', 'time to converge'];
  const cells = rows.map((r) => [r.scenario, String(r.requests), String(r.failures), r.p99Ms.toFixed(1), r.converge]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    [
      `load-balancer drill, durations x ${SCALE} of the stack's:`,
      line(header),
      line(widths.map((w) => '-'.repeat(w))),
      ...cells.map(line),
    ].join('\n'),
  );
});

/** Skips with the way to install haproxy; fails instead where REQUIRE_HAPROXY=1 (CI). */
function needsHaproxy(t: TestContext): boolean {
  if (HAPROXY !== undefined) return true;
  if (REQUIRED) assert.fail(`REQUIRE_HAPROXY=1, but ${INSTALL_HINT}`);
  t.skip(`${INSTALL_HINT}; REQUIRE_HAPROXY=1 makes this a failure, as in CI`);
  return false;
}

const runtime = readDockerfile().stages.at(-1)!;
const [executable, ...imageArgs] = execForm(instructions(runtime, 'CMD')[0]!)!;

/** A task: the Dockerfile's CMD and ENV with /app mapped to this checkout, and the stack's runtime configuration. */
function startTask(): Promise<ServerProcess> {
  assert.equal(executable, 'node', "the Dockerfile's CMD starts node");
  return startServerProcess({
    args: imageArgs,
    env: {
      ...stageEnv(runtime, ROOT),
      KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
      SHUTDOWN_TIMEOUT_MS: String(S.shutdownTimeoutMs),
    },
  });
}

const startBrokenTask = () => startServerProcess({ args: ['test/reliability/broken-revision.ts'] });

/** Every group's share split evenly over its targets, as weights: 90 % over two targets is 90 each of 200. */
const weight = (percent: number, targets: number) => Math.round((percent * 2) / targets);

function loadOptions(maxMs: number, overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    lanes: LANES,
    pauseMs: () => PAUSE_MS,
    maxRequests: MAX_REQUESTS,
    maxMs,
    requestTimeoutMs: S.idleTimeoutMs + 5_000,
    ...overrides,
  };
}

/** Starts a task through `starter` and records it, so that it is stopped however the scenario ends. */
type Start = (starter: () => Promise<ServerProcess>) => Promise<ServerProcess>;

/** Starts haproxy and, through `start`, the tasks, and always stops them. */
async function withStandIn(servers: string[], body: (lb: Haproxy, start: Start) => Promise<void>): Promise<void> {
  const lb = await startHaproxy(HAPROXY!, { settings: S, servers });
  const tasks: ServerProcess[] = [];
  const starting: Promise<unknown>[] = [];
  const start: Start = (starter) => {
    const started = starter().then((task) => {
      tasks.push(task);
      return task;
    });
    starting.push(started);
    return started;
  };
  try {
    await body(lb, start);
  } catch (error) {
    const logs = tasks.map((task) => task.output().slice(-1_500)).join('\n---\n');
    throw new Error(`${(error as Error).message}\nhaproxy:\n${lb.output().slice(-2_000)}\ntasks:\n${logs}`, {
      cause: error,
    });
  } finally {
    // When one of two starts fails, the other may still be under way: wait for it, so that it is stopped too.
    await Promise.allSettled(starting);
    for (const task of tasks) task.kill();
    await lb.stop();
  }
}

/** Registers a task and waits until it passes `rise` health checks (with a margin for a busy machine). */
async function registerHealthy(lb: Haproxy, name: string, task: ServerProcess, percent: number, group: number) {
  await lb.register(name, task.port, weight(percent, group));
  const healthyWithin = S.healthCheckIntervalMs * (S.healthyThreshold + 1) + S.healthCheckTimeoutMs + 5_000;
  return lb.waitFor(name, (status) => status === 'UP', healthyWithin);
}

const ms = (value: number) => `${Math.round(value)} ms`;
const sentBetween = (outcomes: readonly Outcome[], from: number, to = Infinity) =>
  outcomes.filter((o) => o.sentMs >= from && o.sentMs < to);

test('canary: v1 to v2 through 10 % and 100 %, v1 drained then stopped: no request fails, every v1 exits 0', async (t) => {
  if (!needsHaproxy(t)) return;
  await withStandIn(['v1a', 'v1b', 'v2a', 'v2b'], async (lb, start) => {
    const v1 = await Promise.all([start(startTask), start(startTask)]);
    await Promise.all([registerHealthy(lb, 'v1a', v1[0], 100, 2), registerHealthy(lb, 'v1b', v1[1], 100, 2)]);
    const expectedMs =
      S.healthCheckIntervalMs * 3 + S.canaryBakeMs + S.deploymentBakeMs + S.deregistrationDelayMs + S.stopTimeoutMs;
    const load = startLoad(lb.url, loadOptions(expectedMs * 2 + 20_000));
    try {
      await sleep(S.healthCheckIntervalMs);

      // ECS starts the new revision and registers it with the other target group, which has no weight yet.
      const deployStart = load.now();
      const v2 = await Promise.all([start(startTask), start(startTask)]);
      const [healthyA, healthyB] = await Promise.all([
        registerHealthy(lb, 'v2a', v2[0], 0, 2),
        registerHealthy(lb, 'v2b', v2[1], 0, 2),
      ]);
      t.diagnostic(`v2 healthy after ${ms(Math.max(healthyA, healthyB))}`);

      const canaryAt = load.now();
      for (const name of ['v1a', 'v1b'])
        await lb.command(`set server targets/${name} weight ${weight(100 - S.canaryPercent, 2)}`);
      for (const name of ['v2a', 'v2b'])
        await lb.command(`set server targets/${name} weight ${weight(S.canaryPercent, 2)}`);
      await sleep(S.canaryBakeMs);

      const allAt = load.now();
      for (const name of ['v1a', 'v1b']) await lb.command(`set server targets/${name} weight 0`);
      for (const name of ['v2a', 'v2b']) await lb.command(`set server targets/${name} weight ${weight(100, 2)}`);
      const shiftedAt = load.now();
      await sleep(S.deploymentBakeMs);

      // Deregistration: draining for the delay, then out, then ECS stops the task.
      for (const name of ['v1a', 'v1b']) await lb.command(`set server targets/${name} state drain`);
      await sleep(S.deregistrationDelayMs);
      for (const name of ['v1a', 'v1b']) await lb.command(`set server targets/${name} state maint`);
      const stopAt = load.now();
      for (const task of v1) task.child.kill('SIGTERM');
      const exits = await Promise.race([
        Promise.all(v1.map((task) => task.exited)),
        sleep(S.stopTimeoutMs + 2_000).then(() => 'still running' as const),
      ]);
      const convergedAt = load.now();
      await sleep(S.healthCheckIntervalMs);
      const outcomes = await load.stop();

      assert.deepEqual(exits, [
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      const summary = summarise(outcomes);
      const isV2 = (o: Outcome) => o.target?.startsWith('v2') ?? false;
      const beforeCanary = sentBetween(outcomes, 0, canaryAt).filter(isV2).length;
      const bake = sentBetween(outcomes, canaryAt + 50, allAt);
      const canaryShare = (bake.filter(isV2).length / bake.length) * 100;
      const v1AfterShift = sentBetween(outcomes, shiftedAt).filter((o) => o.target?.startsWith('v1')).length;
      t.diagnostic(
        `${summary.requests} requests, ${summary.failures} failed ${JSON.stringify(summary.failuresBy)}; ` +
          `v2 took ${canaryShare.toFixed(1)} % while baking, v1 ${v1AfterShift} after the shift; ` +
          `v1 stopped ${ms(convergedAt - stopAt)} after SIGTERM; by target ${JSON.stringify(summary.byTarget)}`,
      );
      rows.push({
        scenario: 'canary 10 % -> 100 %',
        requests: summary.requests,
        failures: summary.failures,
        p99Ms: summary.p99Ms,
        converge: `${ms(convergedAt - deployStart)} (v1 exit 0)`,
      });
      assert.equal(summary.failures, 0, JSON.stringify(summary.failuresBy));
      assert.equal(summary.serverErrors, 0);
      assert.equal(beforeCanary, 0, 'v2 took requests before it had weight');
      assert.ok(bake.length >= 100, `the canary baked under load (${bake.length} requests)`);
      assert.ok(Math.abs(canaryShare - S.canaryPercent) <= 3, `v2 took ${canaryShare} % while baking`);
      assert.equal(v1AfterShift, 0, 'v1 took requests after all the weight had moved');
      assert.ok(summary.byTarget.v2a! > 0 && summary.byTarget.v2b! > 0);
    } finally {
      await load.stop();
    }
  });
});

test('bad revision: v2 fails its health check, gets no request, and v1 serves every one', async (t) => {
  if (!needsHaproxy(t)) return;
  await withStandIn(['v1a', 'v1b', 'v2a', 'v2b'], async (lb, start) => {
    const v1 = await Promise.all([start(startTask), start(startTask)]);
    await Promise.all([
      registerHealthy(lb, 'v1a', v1[0], 100 - S.canaryPercent, 2),
      registerHealthy(lb, 'v1b', v1[1], 100 - S.canaryPercent, 2),
    ]);
    // Long enough to have turned healthy twice over, had it been healthy.
    const observeMs = (S.healthyThreshold + S.unhealthyThreshold) * S.healthCheckIntervalMs * 2;
    const load = startLoad(lb.url, loadOptions(observeMs * 2 + 20_000));
    try {
      await sleep(S.healthCheckIntervalMs);
      const v2 = await Promise.all([start(startBrokenTask), start(startBrokenTask)]);
      // The worst case: the canary's weight is already on it. ECS moves none before the new tasks are healthy.
      await lb.register('v2a', v2[0].port, weight(S.canaryPercent, 2));
      await lb.register('v2b', v2[1].port, weight(S.canaryPercent, 2));
      const seen = new Set<string>();
      const began = performance.now();
      while (performance.now() - began < observeMs) {
        for (const stat of (await lb.stats()).values()) if (stat.name.startsWith('v2')) seen.add(stat.status);
        await sleep(10);
      }
      const stats = await lb.stats();
      // The rollback: ECS stops the new tasks.
      for (const name of ['v2a', 'v2b']) await lb.command(`set server targets/${name} state maint`);
      const outcomes = await load.stop();

      const summary = summarise(outcomes);
      const v2Requests = outcomes.filter((o) => o.target?.startsWith('v2')).length;
      const checks = ['v2a', 'v2b'].map((name) => stats.get(name)!);
      t.diagnostic(
        `${summary.requests} requests, ${summary.failures} failed, ${v2Requests} to v2; v2 statuses seen ` +
          `${[...seen].join(', ')}; checks ${checks.map((c) => c.checkStatus).join(', ')}`,
      );
      rows.push({
        scenario: 'bad revision',
        requests: summary.requests,
        failures: summary.failures,
        p99Ms: summary.p99Ms,
        converge: `v2 never healthy in ${ms(observeMs)}`,
      });
      assert.equal(summary.failures, 0, JSON.stringify(summary.failuresBy));
      assert.equal(v2Requests, 0);
      assert.ok(![...seen].some((status) => status.startsWith('UP')), `v2 was ${[...seen].join(', ')}`);
      for (const check of checks)
        assert.equal(check.checkStatus, 'L7STS', 'v2 answered its health check with a bad status');
      assert.ok(summary.requests >= 100, 'v1 served under load');
    } finally {
      await load.stop();
    }
  });
});

test('task killed: SIGKILL mid-load costs at most the requests in flight; the load balancer stops routing there', async (t) => {
  if (!needsHaproxy(t)) return;
  await withStandIn(['v1a', 'v1b'], async (lb, start) => {
    const v1 = await Promise.all([start(startTask), start(startTask)]);
    await Promise.all([registerHealthy(lb, 'v1a', v1[0], 100, 2), registerHealthy(lb, 'v1b', v1[1], 100, 2)]);
    const detectMs = S.healthCheckIntervalMs * (S.unhealthyThreshold + 1) + S.healthCheckTimeoutMs;
    const load = startLoad(lb.url, loadOptions(detectMs * 3 + 20_000));
    try {
      await sleep(S.healthCheckIntervalMs * 2);
      const killedAt = load.now();
      v1[1].child.kill('SIGKILL');
      await v1[1].exited;
      const deadAt = load.now();
      const downMs = await lb.waitFor('v1b', (status) => status === 'DOWN', detectMs + 5_000);
      await sleep(S.healthCheckIntervalMs * 2);
      const stat = (await lb.stats()).get('v1b')!;
      const outcomes = await load.stop();

      // In flight on it when it died: sent before its exit was seen, and not yet answered at the signal.
      const inFlight = outcomes.filter((o) => o.sentMs <= deadAt && o.endedMs >= killedAt).length;
      const summary = summarise(outcomes);
      // downMs counts from deadAt, where waitFor began: so does the window after the task was marked down.
      const afterDown = sentBetween(outcomes, deadAt + downMs).filter((o) => !o.ok).length;
      t.diagnostic(
        `${summary.requests} requests, ${summary.failures} failed ${JSON.stringify(summary.failuresBy)} of ` +
          `${inFlight} in flight at the kill; v1b marked down ${ms(downMs)} after its exit; in between ` +
          `${stat.redispatched} requests met its closed port and were sent to v1a instead`,
      );
      rows.push({
        scenario: 'task killed (SIGKILL)',
        requests: summary.requests,
        failures: summary.failures,
        p99Ms: summary.p99Ms,
        converge: `${ms(downMs)} to stop routing there`,
      });
      assert.ok(summary.failures <= inFlight, `${summary.failures} failed, ${inFlight} were in flight`);
      assert.equal(afterDown, 0, 'requests failed after the load balancer had marked the task down');
      assert.ok(downMs <= detectMs + 1_000, `marked down after ${downMs} ms`);
    } finally {
      await load.stop();
    }
  });
});

test("idle-timeout race: connections idle up to and past the load balancer's idle timeout are reused without a reset or 502", async (t) => {
  if (!needsHaproxy(t)) return;
  // The rule the race shows at DRILL_SCALE=1, on the values that deploy: the load balancer closes an idle target
  // connection before the target does, so no request is sent on a connection the target is closing.
  assert.ok(
    REAL.keepAliveTimeoutMs > REAL.idleTimeoutMs,
    `the stack's KEEP_ALIVE_TIMEOUT_MS (${REAL.keepAliveTimeoutMs} ms) must exceed the load balancer's idle timeout ` +
      `(${REAL.idleTimeoutMs} ms)`,
  );
  await withStandIn(['v1a'], async (lb, start) => {
    // One target, so that every request after a pause reuses the target connection that sat idle for that pause.
    const v1 = await start(startTask);
    await registerHealthy(lb, 'v1a', v1, 100, 1);
    // Two groups of probes pause between requests. "Reuse" lanes pause for 75 % of the idle timeout: the load
    // balancer reuses its client and target connections. "Race" lanes pause until the moment the target closes an
    // idle connection, a few ms either side: that must come after the load balancer has closed the connection
    // itself, or a request sent as the target closes is lost.
    const targetClosesMs = KEEP_ALIVE_MS + NODE_KEEP_ALIVE_BUFFER_MS;
    const reusePauseMs = Math.round(S.idleTimeoutMs * 0.75);
    const SPREAD_MS = 5;
    const PROBES = 32;
    const cycles = 2;
    const runMs = (Math.max(targetClosesMs, reusePauseMs) + SPREAD_MS + 200) * cycles;
    const pick = random(SEED);
    const background = startLoad(lb.url, loadOptions(runMs, { lanes: 2 }));
    const reuse = startLoad(lb.url, loadOptions(runMs, { lanes: PROBES / 2, pauseMs: () => reusePauseMs }));
    const race = startLoad(
      lb.url,
      loadOptions(runMs, { lanes: PROBES, pauseMs: () => targetClosesMs - SPREAD_MS + pick() * 2 * SPREAD_MS }),
    );
    try {
      await sleep(runMs);
      const [backgroundOutcomes, reuseOutcomes, raceOutcomes] = [
        await background.stop(),
        await reuse.stop(),
        await race.stop(),
      ];
      const summary = summarise([...backgroundOutcomes, ...reuseOutcomes, ...raceOutcomes]);
      const reused = reuseOutcomes.filter((o) => o.sentMs >= reusePauseMs);
      const raced = raceOutcomes.filter((o) => o.sentMs >= targetClosesMs - SPREAD_MS);
      t.diagnostic(
        `${summary.requests} requests: ${reused.length} after ${reusePauseMs} ms idle ` +
          `(${reused.filter((o) => o.reused).length} on the same client connection, ` +
          `${reused.filter((o) => !o.ok).length} failed), ${raced.length} after ${targetClosesMs} ± ${SPREAD_MS} ms ` +
          `idle (${raced.filter((o) => o.reused).length} on the same client connection, ` +
          `${raced.filter((o) => !o.ok).length} failed); ${summary.failures} failed in all ` +
          `${JSON.stringify(summary.failuresBy)}. The target closes an idle connection after ${targetClosesMs} ms ` +
          `(keep-alive ${KEEP_ALIVE_MS} + Node's ${NODE_KEEP_ALIVE_BUFFER_MS}), the load balancer after ` +
          `${S.idleTimeoutMs} ms`,
      );
      rows.push({
        scenario: 'idle-timeout race',
        requests: summary.requests,
        failures: summary.failures,
        p99Ms: summary.p99Ms,
        converge: '-',
      });
      assert.ok(raced.length >= PROBES && reused.length >= PROBES / 2, 'every probe paused and sent again');
      assert.ok(
        reused.every((o) => o.reused),
        'a connection idle for less than the idle timeout stays open',
      );
      assert.equal(summary.failures, 0, JSON.stringify(summary.failuresBy));
      assert.equal(summary.serverErrors, 0);
    } finally {
      await background.stop();
      await reuse.stop();
      await race.stop();
    }
  });
});
