/**
 * A container of the image, run as the task definition says, and what the container suites ask of it: commands and
 * requests from inside (no published port, no network), its logs, and a stop as ECS makes one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { engineOutput, runEngine, type Engine, type RunResult } from '../../tools/container-engine.ts';
import { runArgs } from '../../tools/image.ts';
import type { ContainerSettings } from '../../tools/task-definition.ts';

export interface RunningContainer {
  readonly id: string;
  /** When `run` was called, in ms since the epoch (the container's clock is the host's). */
  readonly runAt: number;
  /** From `run` to the first 200 from the health path, in ms. */
  readonly firstOkMs: number;
  /** Runs a command in the container as its user, with the task definition's environment. */
  exec(...command: string[]): Promise<RunResult>;
  /** Evaluates an expression (or a promise) in the container's Node.js; resolves with its JSON value. */
  inContainer<T>(expression: string): Promise<T>;
  /** A GET from inside the container. */
  get(path: string): Promise<{ status: number; type: string; body: string }>;
  logs(): Promise<string>;
}

/** Removes the containers an interrupted run left, found by their label. */
export async function removeLeftovers(engine: Engine, label: string): Promise<void> {
  // `docker rm` has no --filter: list the leftovers, then remove them.
  const leftovers = await engineOutput(engine, ['ps', '--all', '--quiet', '--filter', `label=${label}`]);
  if (leftovers !== '') await engineOutput(engine, ['rm', '--force', ...leftovers.split(/\s+/)]);
}

/**
 * Starts the image detached, removed when it exits, with the task definition's settings, and waits for its health
 * path to answer 200: polled from inside every 20 ms for up to `timeoutMs`; the time includes starting that poller.
 */
export async function startContainer(
  engine: Engine,
  options: {
    readonly tag: string;
    readonly label: string;
    readonly settings: ContainerSettings;
    readonly extraEnv?: Readonly<Record<string, string>>;
    /** @default 30_000 */
    readonly timeoutMs?: number;
  },
): Promise<RunningContainer> {
  const { settings } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const runAt = Date.now();
  const started = performance.now();
  const id = await engineOutput(engine, [
    'run',
    '--detach',
    // One left running by an interrupted run carries the label, for the next run to remove.
    '--rm',
    '--label',
    options.label,
    ...runArgs(engine, settings, { extraEnv: options.extraEnv }),
    options.tag,
  ]);
  const exec = (...command: string[]) => runEngine(engine, ['exec', id, ...command]);
  const inContainer = async <T>(expression: string): Promise<T> => {
    const result = await exec(
      'node',
      '-e',
      `Promise.resolve(${expression}).then((v) => console.log(JSON.stringify(v)))`,
    );
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as T;
  };
  const logs = async () => {
    const result = await runEngine(engine, ['logs', id]);
    return result.stdout + result.stderr;
  };
  const ok = await inContainer<boolean>(`(async () => {
    for (const deadline = Date.now() + ${timeoutMs}; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20)))
      if (await fetch('http://127.0.0.1:${settings.port}${IMAGE_CONTRACT.healthPath}').then((r) => r.ok, () => false))
        return true;
    return false;
  })()`);
  assert.ok(ok, `no 200 within ${timeoutMs / 1000} s:\n${await logs()}`);
  return {
    id,
    runAt,
    firstOkMs: performance.now() - started,
    exec,
    inContainer,
    get: (path) =>
      inContainer(
        `fetch('http://127.0.0.1:${settings.port}${path}').then(async (r) => ` +
          `({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }))`,
      ),
    logs,
  };
}

/**
 * What ECS does at a stop, with a client holding an idle keep-alive connection to the server: SIGTERM to PID 1 (the
 * init, which passes it on), then waits for the container to exit. Resolves with its exit code and the time it took.
 */
export async function stopWithIdleConnection(
  engine: Engine,
  container: RunningContainer,
  port: number,
  /** How long the client may take to connect and report. @default 10_000 */
  clientTimeoutMs = 10_000,
): Promise<{ code: string; ms: number; logsBefore: string }> {
  // A client in the container makes one request on a keep-alive connection, prints how many connections it holds
  // idle, and keeps them.
  const client = spawn(
    engine.name,
    [
      ...engine.globalArgs,
      'exec',
      container.id,
      'node',
      '-e',
      `const http = require('node:http');
      const agent = new http.Agent({ keepAlive: true });
      http.get('http://127.0.0.1:${port}/health', { agent }, (response) => {
        response.resume().on('end', () => setImmediate(() => console.log(Object.values(agent.freeSockets).flat().length)));
      });
      setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    // The first output, unless the exec ends without any (it failed) or hangs: neither may stall the suite.
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      once(client.stdout.setEncoding('utf8'), 'data').then(([data]) => String(data)),
      once(client, 'exit').then(([code]) => ({ failed: `exited ${code} without printing its idle connections` })),
      new Promise<{ failed: string }>((resolve) => {
        timer = setTimeout(
          () => resolve({ failed: `printed nothing within ${clientTimeoutMs / 1000} s` }),
          clientTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (typeof idle !== 'string') assert.fail(`the client in the container (${engine.name} exec) ${idle.failed}`);
    assert.equal(idle.trim(), '1', 'one connection open, idle');

    // The container is removed (--rm) once it exits: read its logs while it is there.
    const logsBefore = await container.logs();
    const started = performance.now();
    const waiting = engineOutput(engine, ['wait', container.id]);
    await engineOutput(engine, ['kill', '--signal', 'TERM', container.id]);
    const code = await waiting;
    return { code, ms: performance.now() - started, logsBefore };
  } finally {
    client.kill();
  }
}

/** When the server logged that it listens (Fastify's `Server listening at …`), in ms since the epoch. */
export function listeningAt(logs: string): number | undefined {
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number | string };
    if (entry.msg?.startsWith('Server listening') === true && entry.time !== undefined)
      return new Date(entry.time).getTime();
  }
  return undefined;
}
