import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlbSettings } from './alb-settings.ts';
import { IDENTITY } from '../../src/identity.ts';

export const INSTALL_HINT =
  'the load-balancer drill needs haproxy, found neither at $HAPROXY nor on PATH nor in /usr/sbin: ' +
  'install it (Debian/Ubuntu: sudo apt-get install haproxy)';

/**
 * The haproxy binary: HAPROXY if set, else on PATH or in the sbin folders that an ordinary user's PATH often lacks.
 * Undefined when it is not there, or not executable.
 */
export function findHaproxy(): string | undefined {
  if (process.env.HAPROXY !== undefined) {
    try {
      accessSync(process.env.HAPROXY, constants.X_OK);
      return process.env.HAPROXY;
    } catch {
      return undefined;
    }
  }
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const folder of folders.filter(Boolean)) {
    try {
      accessSync(join(folder, 'haproxy'), constants.X_OK);
      return join(folder, 'haproxy');
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export interface HaproxyOptions {
  /** Settings already scaled to the drill's clock. */
  readonly settings: AlbSettings;
  /** Servers declared in maintenance, to be registered at run time: the targets of both target groups. */
  readonly servers: readonly string[];
}

/**
 * The stand-in for the ALB, from the synthesised stack's values: one backend stands for the two target groups, and a
 * server's weight is its group's share divided among the group's targets, as the listener rule's weighted forward does.
 */
export function haproxyConfig(options: HaproxyOptions & { port: number; socket: string }): string {
  const s = options.settings;
  return [
    'global',
    `  stats socket ${options.socket} mode 600 level admin`,
    // One thread: the machine is small, and one thread keeps the round robin's order exact.
    '  nbthread 1',
    '',
    'defaults',
    '  mode http',
    // The ALB's idle timeout holds on both sides: an idle client connection, and a target that sends nothing.
    `  timeout client ${s.idleTimeoutMs}`,
    `  timeout http-keep-alive ${s.idleTimeoutMs}`,
    `  timeout http-request ${s.idleTimeoutMs}`,
    `  timeout server ${s.idleTimeoutMs}`,
    `  timeout connect ${s.connectTimeoutMs}`,
    `  timeout check ${s.healthCheckTimeoutMs}`,
    '',
    'frontend alb',
    `  bind 127.0.0.1:${options.port}`,
    '  default_backend targets',
    '',
    'backend targets',
    // The ALB's default algorithm.
    '  balance roundrobin',
    `  option httpchk GET ${s.healthCheckPath}`,
    `  http-check expect status ${s.healthyHttpCode}`,
    // Keep-alive to the targets, each target connection bound to the client connection it serves: it is then idle
    // for no longer than that client connection, which the idle timeout closes, as the ALB closes its own.
    '  option http-keep-alive',
    '  http-reuse never',
    // A connection refused by a dead target is retried once, on another target (see docs/reliability.md: the ALB
    // answers 502 there until ECS deregisters the task). Nothing else is retried: a lost request is a 502.
    '  retries 1',
    '  option redispatch 1',
    '  retry-on conn-failure',
    // Which target answered, for the drill's books.
    '  http-response set-header x-target %s',
    // A hop-by-hop header: the target's keep-alive is not the client's, whose connection ends at the idle timeout.
    '  http-response del-header keep-alive',
    `  default-server check inter ${s.healthCheckIntervalMs} rise ${s.healthyThreshold} fall ${s.unhealthyThreshold} weight 0 disabled`,
    ...options.servers.map((name) => `  server ${name} 127.0.0.1:9`),
    '',
  ].join('\n');
}

/** A port that was free a moment ago on 127.0.0.1; haproxy binds it right after (and fails loudly if it lost it). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerStat {
  readonly name: string;
  /** UP, DOWN, MAINT, DRAIN, or a transition such as "DOWN 1/2" (one good check of two). */
  readonly status: string;
  readonly weight: number;
  /** Requests sent to it (HTTP sessions). */
  readonly sessions: number;
  readonly redispatched: number;
  /** The last check's result, e.g. L7OK or L7STS (a bad status code). */
  readonly checkStatus: string;
}

export interface Haproxy {
  readonly url: string;
  readonly port: number;
  readonly config: string;
  /** One command on the runtime API; resolves with its answer. */
  command(line: string): Promise<string>;
  /** Registers a target: the address, then out of maintenance; it takes traffic once it passes `rise` checks. */
  register(name: string, port: number, weight: number): Promise<void>;
  stats(): Promise<Map<string, ServerStat>>;
  /** Polls until `name`'s status satisfies `predicate`; resolves with the ms it took, or rejects after `timeoutMs`. */
  waitFor(name: string, predicate: (status: string) => boolean, timeoutMs: number): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

export async function startHaproxy(binary: string, options: HaproxyOptions): Promise<Haproxy> {
  const folder = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-haproxy-`));
  const socket = join(folder, 'admin.sock');
  const port = await freePort();
  const config = haproxyConfig({ ...options, port, socket });
  writeFileSync(join(folder, 'haproxy.cfg'), config);
  // -db: stay in the foreground; the test owns the process and stops it.
  const child: ChildProcess = spawn(binary, ['-db', '-f', join(folder, 'haproxy.cfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');

  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const connection = createConnection(socket);
      let answer = '';
      connection.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      connection.on('error', reject);
      connection.on('end', () => resolve(answer.trim()));
      connection.end(`${line}\n`);
    });

  const started = performance.now();
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${output}\n${config}`);
      try {
        await command('show info');
        break;
      } catch {
        if (performance.now() - started > 5_000) throw new Error(`haproxy did not open its socket:\n${output}`);
        await sleep(20);
      }
    }
  } catch (error) {
    // The caller gets no handle to stop it with: a running haproxy and its pipes would keep the test process alive.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }

  const stats = async () => {
    const [header = '', ...rows] = (await command('show stat -1 4 -1')).split('\n');
    const fields = header.replace(/^# /, '').split(',');
    const at = (row: string[], field: string) => row[fields.indexOf(field)] ?? '';
    const result = new Map<string, ServerStat>();
    for (const line of rows) {
      const row = line.split(',');
      if (at(row, 'pxname') !== 'targets') continue;
      const name = at(row, 'svname');
      result.set(name, {
        name,
        status: at(row, 'status'),
        weight: Number(at(row, 'weight')),
        sessions: Number(at(row, 'stot')),
        redispatched: Number(at(row, 'wredis')),
        // haproxy marks the result "* L7STS" while the next check is running: the last result is the same.
        checkStatus: at(row, 'check_status').replace(/^\* /, ''),
      });
    }
    return result;
  };

  const expectEmpty = async (line: string) => {
    const answer = await command(line);
    if (answer !== '') throw new Error(`haproxy refused "${line}": ${answer}`);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    command,
    async register(name, serverPort, weight) {
      const line = `set server targets/${name} addr 127.0.0.1 port ${serverPort}`;
      // haproxy confirms this change in words, where it answers the others with silence.
      const answer = await command(line);
      if (!answer.includes('changed from')) throw new Error(`haproxy refused "${line}": ${answer}`);
      // Like an ALB target in "initial": it takes no request until it has passed `rise` checks. Leaving maintenance,
      // haproxy counts a server up, so it is marked down before it gets a weight (weight 0: no traffic meanwhile).
      await expectEmpty(`set server targets/${name} state ready`);
      await expectEmpty(`set server targets/${name} health down`);
      await expectEmpty(`set server targets/${name} weight ${weight}`);
    },
    stats,
    async waitFor(name, predicate, timeoutMs) {
      const began = performance.now();
      for (;;) {
        const status = (await stats()).get(name)?.status ?? 'missing';
        if (predicate(status)) return performance.now() - began;
        if (performance.now() - began > timeoutMs) {
          throw new Error(`${name} is still ${status} after ${timeoutMs} ms`);
        }
        await sleep(5);
      }
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
