/**
 * `npm run bench`: the service against the practical limit (bench/baseline.ts), on this machine.
 *
 * Both servers start the way the container starts the service (the Dockerfile's CMD and ENV, production defaults,
 * logging on at its default level, stdout a pipe) on 127.0.0.1, pinned to core 0; the load generator
 * (bench/load.ts, autocannon in a process of its own) is pinned to core 1. After a warm-up the two servers
 * take turns in short slices, A B A B …, because this machine's speed drifts from minute to minute: the
 * ratios are taken within each pair of slices and the median over pairs is reported. Prints a table and
 * writes the raw figures to bench/results/.
 *
 * Options: --pairs N (10), --slice SECONDS (3), --warmup SECONDS (5), --connections N (50),
 * --cold-starts N (5), --env KEY=VALUE for the service (repeatable, e.g. --env LOG_REQUESTS=true),
 * --entry FILE to measure another build of the service (default: the Dockerfile's CMD, dist/server.js).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { execForm, instructions, readDockerfile, stageEnv } from '../tools/dockerfile.ts';
import type { LoadResult } from './load.ts';
import { WORKED_EXAMPLES } from '../src/worked-examples.ts';
import { ROOT } from '../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../tools/server-process.ts';

const [MIRROR_TIME, ACTUAL_TIME] = WORKED_EXAMPLES[0];
const PATH = `/clock?mirror_time=${MIRROR_TIME}`;
const EXPECTED_BODY = JSON.stringify({ mirror_time: MIRROR_TIME, actual_time: ACTUAL_TIME });

const TARGETS = { throughput: 0.9, p99: 1.5, peakRssMb: 100, coldStart: 2 } as const;

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10' },
    slice: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    'cold-starts': { type: 'string', default: '5' },
    env: { type: 'string', multiple: true, default: [] },
    entry: { type: 'string' },
  },
});
const pairs = Number(args.pairs);
const sliceSeconds = Number(args.slice);
const warmupSeconds = Number(args.warmup);
const connections = Number(args.connections);
const coldStarts = Number(args['cold-starts']);
const serviceEnv = Object.fromEntries(
  args.env.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env ${pair}: expected KEY=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

interface Contender {
  readonly name: 'service' | 'baseline';
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

// The service starts as the container does: the runtime stage's CMD and ENV (NODE_ENV=production, the compile cache),
// with the image's /app mapped to this checkout. HOST and PORT keep the bench on loopback and out of the way of
// other servers on this machine.
const runtime = readDockerfile().stages.at(-1)!;
const imageEnv = stageEnv(runtime, ROOT);
const [executable, ...imageArgs] = execForm(instructions(runtime, 'CMD')[0]!)!;
if (executable !== 'node') throw new Error(`the Dockerfile's CMD starts ${executable}, not node`);
const local = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0' };
const SERVICE: Contender = {
  name: 'service',
  args: args.entry === undefined ? imageArgs : [...imageArgs.filter((arg) => arg.startsWith('-')), args.entry],
  env: { ...imageEnv, ...local, ...serviceEnv },
};
// The baseline gets the same NODE_ENV; a compile cache would change nothing for a file that small.
const BASELINE: Contender = {
  name: 'baseline',
  args: ['bench/results/build/bench/baseline.js'],
  env: { NODE_ENV: 'production', ...local },
};

for (const contender of [SERVICE, BASELINE]) {
  // The script is the first argument that is not a flag for node.
  const entry = contender.args.find((arg) => !arg.startsWith('-'))!;
  if (!existsSync(`${ROOT}${entry}`)) throw new Error(`${entry} is missing: run \`npm run bench\`, which builds first`);
}

const pinned = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** Server on core 0, load on core 1, when taskset and two cores are there. */
function command(core: 0 | 1, args: readonly string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, [...args]];
}

interface Running {
  readonly server: ServerProcess;
  readonly pid: number;
  readonly url: string;
  /** Log lines at level error or above (pino: 50+). */
  readonly errorLines: () => number;
}

async function start(contender: Contender): Promise<Running> {
  const server = await startServerProcess({
    args: contender.args,
    env: contender.env,
    ...(pinned && { wrapper: ['taskset', '-c', '0'] }),
    // Enough for a diagnosis; a server logging every request would otherwise fill the driver's memory.
    keepOutputChars: 64 * 1024,
  });
  let errorLines = 0;
  let partial = '';
  server.child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    errorLines += lines.filter((line) => /"level":(5|6)\d/.test(line)).length;
  });
  return { server, pid: server.child.pid!, url: server.url, errorLines: () => errorLines };
}

async function stop({ server }: Running): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  return (await server.exited).code;
}

function fetchOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Process start to the first correct 200: the "Server listening" line, then one request at once. */
async function coldStart(contender: Contender): Promise<number> {
  const started = performance.now();
  const server = await start(contender);
  const { status, body } = await fetchOnce(server.url + PATH);
  const elapsed = performance.now() - started;
  await stop(server);
  if (status !== 200 || body !== EXPECTED_BODY) throw new Error(`${contender.name} answered ${status} ${body}`);
  return elapsed;
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

/** User plus system CPU time of a process, in clock ticks (1/100 s on Linux). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

interface Slice extends LoadResult {
  readonly server: Contender['name'];
  /** Highest VmRSS sampled every 50 ms during the slice. */
  readonly rssMaxMb: number;
  /** The server's CPU time over the slice, as a share of one core: near 100 % means the server is the bottleneck. */
  readonly cpuPercent: number;
  /** The server's CPU time per response, in µs: what each request costs, whoever limits the rate. */
  readonly cpuUsPerResponse: number;
}

async function slice(server: Running, name: Contender['name'], seconds: number): Promise<Slice> {
  const ticks = cpuTicks(server.pid);
  const began = performance.now();
  let rssMaxKb = procStatusKb(server.pid, 'VmRSS');
  const sampler = setInterval(() => (rssMaxKb = Math.max(rssMaxKb, procStatusKb(server.pid, 'VmRSS'))), 50);
  const worker = spawn(
    ...command(1, ['bench/load.ts', server.url + PATH, String(connections), String(seconds), EXPECTED_BODY]),
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  worker.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(worker, 'exit')) as [number | null];
  clearInterval(sampler);
  const wallSeconds = (performance.now() - began) / 1000;
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  // The worker's own start-up (about 0.1 s) is inside the wall time, so this slightly understates the share.
  const usedTicks = cpuTicks(server.pid) - ticks;
  const load = JSON.parse(output) as LoadResult;
  return {
    ...load,
    server: name,
    rssMaxMb: rssMaxKb / 1024,
    cpuPercent: usedTicks / wallSeconds,
    cpuUsPerResponse: (usedTicks * 10_000) / load.responses,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// ---------------------------------------------------------------------------------------------------------------

const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  pinned,
  loadAverageAtStart: loadavg(),
};
process.stdout.write(
  `clock-mirror bench: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ` +
    `${pinned ? 'server on core 0, load on core 1' : 'not pinned (no taskset or one core)'}\n` +
    `${pairs} pairs of ${sliceSeconds} s slices at ${connections} connections on GET ${PATH}, after ${warmupSeconds} s warm-up each` +
    `${Object.keys(serviceEnv).length > 0 ? `; service env ${args.env.join(' ')}` : ''}\n`,
);

const cold: Record<Contender['name'], number[]> = { service: [], baseline: [] };
for (let i = 0; i < coldStarts; i++) {
  for (const contender of [BASELINE, SERVICE]) cold[contender.name].push(await coldStart(contender));
}

const service = await start(SERVICE);
const baseline = await start(BASELINE);
const servers = { service, baseline };
try {
  for (const name of ['service', 'baseline'] as const) await slice(servers[name], name, warmupSeconds);
  const slices: Slice[] = [];
  for (let i = 0; i < pairs; i++) {
    for (const name of ['service', 'baseline'] as const) {
      const result = await slice(servers[name], name, sliceSeconds);
      slices.push(result);
      process.stdout.write(
        `  ${name.padEnd(8)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${result.p99Ms.toFixed(2)} ms  ` +
          `cpu ${result.cpuPercent.toFixed(0)} % (${result.cpuUsPerResponse.toFixed(1)} µs/response), ` +
          `load generator ${result.generatorCpuPercent.toFixed(0)} %\n`,
      );
    }
  }
  const peakRssMb = {
    service: procStatusKb(service.pid, 'VmHWM') / 1024,
    baseline: procStatusKb(baseline.pid, 'VmHWM') / 1024,
  };
  const exitCodes = { service: await stop(service), baseline: await stop(baseline) };

  const of = (name: Contender['name']) => slices.filter((s) => s.server === name);
  const summary = (name: Contender['name']) => ({
    requestsPerSecond: median(of(name).map((s) => s.requestsPerSecond)),
    p50Ms: median(of(name).map((s) => s.p50Ms)),
    p99Ms: median(of(name).map((s) => s.p99Ms)),
    errors: of(name).reduce((sum, s) => sum + s.errors, 0),
    responses: of(name).reduce((sum, s) => sum + s.responses, 0),
    peakRssMb: peakRssMb[name],
    rssUnderLoadMb: Math.max(...of(name).map((s) => s.rssMaxMb)),
    coldStartMs: median(cold[name]),
    cpuPercent: median(of(name).map((s) => s.cpuPercent)),
    cpuUsPerResponse: median(of(name).map((s) => s.cpuUsPerResponse)),
    generatorCpuPercent: median(of(name).map((s) => s.generatorCpuPercent)),
    serverErrorLogLines: servers[name].errorLines(),
    exitCode: exitCodes[name],
  });
  const results = { service: summary('service'), baseline: summary('baseline') };
  const pairRatios = (field: 'requestsPerSecond' | 'p50Ms' | 'p99Ms' | 'cpuUsPerResponse') =>
    of('service').map((s, i) => s[field] / of('baseline')[i]![field]);
  const ratios = {
    throughput: median(pairRatios('requestsPerSecond')),
    p50: median(pairRatios('p50Ms')),
    p99: median(pairRatios('p99Ms')),
    cpuPerResponse: median(pairRatios('cpuUsPerResponse')),
    coldStart: results.service.coldStartMs / results.baseline.coldStartMs,
  };
  const verdicts = {
    throughput: ratios.throughput >= TARGETS.throughput,
    p99: ratios.p99 <= TARGETS.p99,
    peakRss: results.service.peakRssMb <= TARGETS.peakRssMb,
    coldStart: ratios.coldStart <= TARGETS.coldStart,
    noErrors: results.service.errors === 0 && results.baseline.errors === 0,
  };

  const row = (label: string, s: string, b: string, ratio: string, target: string) =>
    `${label.padEnd(28)}${s.padStart(10)}${b.padStart(10)}${ratio.padStart(9)}   ${target}\n`;
  const verdict = (ok: boolean, text: string) => `${ok ? 'ok  ' : 'MISS'} ${text}`;
  const { service: s, baseline: b } = results;
  process.stdout.write(
    '\n' +
      row('', 'service', 'baseline', 'ratio', 'target') +
      row(
        'requests/s (median slice)',
        s.requestsPerSecond.toFixed(0),
        b.requestsPerSecond.toFixed(0),
        ratios.throughput.toFixed(3),
        verdict(verdicts.throughput, `ratio >= ${TARGETS.throughput}`),
      ) +
      row('p50 latency, ms', s.p50Ms.toFixed(3), b.p50Ms.toFixed(3), ratios.p50.toFixed(3), '') +
      row(
        'p99 latency, ms',
        s.p99Ms.toFixed(3),
        b.p99Ms.toFixed(3),
        ratios.p99.toFixed(3),
        verdict(verdicts.p99, `ratio <= ${TARGETS.p99}`),
      ) +
      row(
        'errors (all slices)',
        String(s.errors),
        String(b.errors),
        '',
        verdict(verdicts.noErrors, `0, of ${s.responses} and ${b.responses} responses`),
      ) +
      row(
        'peak RSS (VmHWM), MB',
        s.peakRssMb.toFixed(1),
        b.peakRssMb.toFixed(1),
        (s.peakRssMb / b.peakRssMb).toFixed(3),
        verdict(verdicts.peakRss, `service <= ${TARGETS.peakRssMb} MB`),
      ) +
      row(
        `cold start to 200, ms (med ${coldStarts})`,
        s.coldStartMs.toFixed(1),
        b.coldStartMs.toFixed(1),
        ratios.coldStart.toFixed(3),
        verdict(verdicts.coldStart, `ratio <= ${TARGETS.coldStart}`),
      ) +
      row('server CPU, % of a core', s.cpuPercent.toFixed(0), b.cpuPercent.toFixed(0), '', '') +
      row(
        'server CPU per response, µs',
        s.cpuUsPerResponse.toFixed(2),
        b.cpuUsPerResponse.toFixed(2),
        ratios.cpuPerResponse.toFixed(3),
        '',
      ) +
      row('load generator CPU, %', s.generatorCpuPercent.toFixed(0), b.generatorCpuPercent.toFixed(0), '', '') +
      row(
        'error log lines; exit code',
        `${s.serverErrorLogLines}; ${s.exitCode}`,
        `${b.serverErrorLogLines}; ${b.exitCode}`,
        '',
        '',
      ),
  );

  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const report = {
    machine: { ...machine, loadAverageAtEnd: loadavg() },
    settings: { pairs, sliceSeconds, warmupSeconds, connections, coldStarts, path: PATH, serviceEnv },
    targets: TARGETS,
    results,
    ratios,
    verdicts,
    coldStartsMs: cold,
    slices,
  };
  writeFileSync(`${ROOT}${file}`, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nraw figures: ${file}\n`);
  if (!Object.values(verdicts).every(Boolean)) process.exitCode = 1;
} finally {
  for (const { server } of [service, baseline]) server.kill();
}
