/**
 * `npm run bench`: the service, in both of its start modes, against two bare node:http servers (bench/baseline.ts),
 * on this machine, in one run.
 *
 * - `npm start`: the command package.json's start script runs, with nothing but HOST and PORT set, as a developer
 *   runs it. `image`: the Dockerfile's CMD with the runtime stage's ENV (NODE_ENV=production, the compile cache), the
 *   image's /app mapped to this checkout. Both log at their default level to a pipe.
 * - `bare`: the JSON body with its content type and length, what the original API sent: the targets are ratios
 *   against it. `bare+hdrs`: the same bytes as the service, so the ratio against it is what the framework costs.
 *
 * All four servers run at once on 127.0.0.1, pinned to core 0; wrk (bench/wrk.ts) is pinned to core 1. After a
 * warm-up they take turns in short slices, because this machine's speed drifts from minute to minute (and other work
 * shares it): every ratio is taken within one round of slices, and the median over rounds is reported. The order
 * turns round every other round, A B C D D C B A …, so that a drift within a round favours no server. The first
 * figure is CPU time per response, from the server's own user + system time over each slice (/proc/<pid>/stat,
 * every thread): it does not depend on how fast the load generator or the neighbours are. Then each server but
 * bare+hdrs carries continuous load for --soak seconds, because V8 grows the young generation after about 20 s of it:
 * peak RSS is VmHWM after that. Prints a table, writes the raw figures to bench/results/, and exits 1 when a target is
 * missed.
 *
 * Options: --rounds N (10), --slice SECONDS (3), --warmup SECONDS (5), --soak SECONDS (60), --connections N (50),
 * --cold-starts N (5), --env KEY=VALUE for the service (repeatable, e.g. --env LOG_REQUESTS=true),
 * --entry FILE to measure another build of the service (default: dist/server.js, as both start modes run it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { WORKED_EXAMPLES } from '../src/example/worked-examples.ts';
import { IDENTITY } from '../src/identity.ts';
import { execForm, instructions, readDockerfile, stageEnv } from '../tools/dockerfile.ts';
import { ROOT } from '../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../tools/server-process.ts';
import { cpuTicks, runWrk, wrkInstalled, type WrkResult } from './wrk.ts';

const [MIRROR_TIME, ACTUAL_TIME] = WORKED_EXAMPLES[0];
const PATH = `/clock?mirror_time=${MIRROR_TIME}`;
const EXPECTED_BODY = JSON.stringify({ mirror_time: MIRROR_TIME, actual_time: ACTUAL_TIME });

/** Against bare. CPU efficiency is bare's CPU time per response divided by the service's. */
const TARGETS = { cpuEfficiency: 0.9, throughput: 0.9, p99: 1.5, peakRss: 1.15, coldStart: 2 } as const;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    slice: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    soak: { type: 'string', default: '60' },
    connections: { type: 'string', default: '50' },
    'cold-starts': { type: 'string', default: '5' },
    env: { type: 'string', multiple: true, default: [] },
    entry: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const sliceSeconds = Number(args.slice);
const warmupSeconds = Number(args.warmup);
const soakSeconds = Number(args.soak);
const connections = Number(args.connections);
const coldStarts = Number(args['cold-starts']);
const serviceEnv = Object.fromEntries(
  args.env.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env ${pair}: expected KEY=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

const NAMES = ['npm start', 'image', 'bare', 'bare+hdrs'] as const;
type Name = (typeof NAMES)[number];
const MODES = ['npm start', 'image'] as const;

interface Contender {
  readonly name: Name;
  /** Arguments for node: its flags, then the script. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * `node [flags] script`, as a list, after any leading `NAME=value` words, which a shell would set in the
 * environment; anything else is not a command this bench can run as a bare node process.
 */
function nodeCommand(command: readonly string[], source: string): { args: string[]; env: Record<string, string> } {
  const assignments = command.slice(
    0,
    command.findIndex((word) => !/^[A-Za-z_]\w*=/.test(word)),
  );
  const [executable, ...rest] = command.slice(assignments.length);
  if (executable !== 'node') throw new Error(`${source} runs ${executable}, not node: ${command.join(' ')}`);
  const script = rest.findIndex((arg) => !arg.startsWith('-'));
  if (script === -1) throw new Error(`${source} names no script: ${command.join(' ')}`);
  const env = Object.fromEntries(
    assignments.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  const nodeArgs = args.entry === undefined ? rest : [...rest.slice(0, script), args.entry, ...rest.slice(script + 1)];
  return { args: nodeArgs, env };
}

const local = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0' };
const packageJson = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
const runtime = readDockerfile().stages.at(-1)!;
const npmStart = nodeCommand(packageJson.scripts.start!.trim().split(/\s+/), 'package.json scripts.start');
const CONTENDERS: Record<Name, Contender> = {
  // npm runs the script through a shell; the bench starts node itself, so that the pid it measures is the server's.
  'npm start': {
    name: 'npm start',
    args: npmStart.args,
    env: { ...npmStart.env, ...local, ...serviceEnv },
  },
  image: {
    name: 'image',
    args: nodeCommand(execForm(instructions(runtime, 'CMD').at(-1)!)!, "the Dockerfile's CMD").args,
    env: { ...stageEnv(runtime, ROOT), ...local, ...serviceEnv },
  },
  // Compiled to JavaScript, as the service is bundled: neither pays for type stripping. NODE_ENV as the image's.
  bare: { name: 'bare', args: ['bench/results/build/bench/baseline.js'], env: { NODE_ENV: 'production', ...local } },
  'bare+hdrs': {
    name: 'bare+hdrs',
    args: ['bench/results/build/bench/baseline.js'],
    env: { NODE_ENV: 'production', BASELINE_BYTES: 'service', ...local },
  },
};

for (const contender of Object.values(CONTENDERS)) {
  const script = contender.args.find((arg) => !arg.startsWith('-'))!;
  if (!existsSync(`${ROOT}${script}`))
    throw new Error(`${script} is missing: run \`npm run bench\`, which builds first`);
}
if (!wrkInstalled()) {
  process.stderr.write('npm run bench needs wrk: install it (Debian: apt-get install wrk) and run it again.\n');
  process.exit(2);
}

const pinned = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

interface Running {
  readonly server: ServerProcess;
  readonly pid: number;
  readonly url: string;
  /** Log lines at level error or above (pino: 50+). */
  readonly errorLines: () => number;
}

async function start(contender: Contender): Promise<Running> {
  // taskset execs node, so the pid is the server's own.
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

interface Slice extends WrkResult {
  readonly server: Name;
  /** The server's CPU time over the slice, as a share of one core: near 100 % means the server is the bottleneck. */
  readonly cpuPercent: number;
  /** The server's CPU time per response, in µs: what each request costs, whoever limits the rate. */
  readonly cpuUsPerResponse: number;
}

async function slice(server: Running, name: Name, seconds: number): Promise<Slice> {
  const ticks = cpuTicks(server.pid);
  const began = performance.now();
  const load = await runWrk(server.url + PATH, {
    connections,
    seconds,
    expectBody: EXPECTED_BODY,
    ...(pinned ? { core: 1 } : {}),
  });
  const usedTicks = cpuTicks(server.pid) - ticks;
  // wrk's start-up (a few ms) is inside the wall time, so this slightly understates the share.
  const wallSeconds = (performance.now() - began) / 1000;
  return {
    ...load,
    server: name,
    cpuPercent: usedTicks / wallSeconds,
    cpuUsPerResponse: (usedTicks * 10_000) / load.responses,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const write = (text: string) => process.stdout.write(text);

// ---------------------------------------------------------------------------------------------------------------

const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  pinned,
  loadAverageAtStart: loadavg(),
};
write(
  `${IDENTITY.slug} bench: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ` +
    `${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}, ` +
    `${pinned ? 'servers on core 0, wrk on core 1' : 'not pinned (no taskset or one core)'}\n` +
    `${rounds} rounds of ${sliceSeconds} s slices at ${connections} connections on GET ${PATH}, after ${warmupSeconds} s ` +
    `warm-up each; then ${soakSeconds} s of continuous load each` +
    `${Object.keys(serviceEnv).length > 0 ? `; service env ${args.env.join(' ')}` : ''}\n`,
);
for (const name of MODES) write(`  ${name.padEnd(9)} node ${CONTENDERS[name].args.join(' ')}\n`);

const COLD: readonly Name[] = ['bare', 'npm start', 'image'];
const cold: Partial<Record<Name, number[]>> = {};
for (let i = 0; i < coldStarts; i++) {
  for (const name of COLD) (cold[name] ??= []).push(await coldStart(CONTENDERS[name]));
}

const servers = {} as Record<Name, Running>;
try {
  for (const name of NAMES) servers[name] = await start(CONTENDERS[name]);
  for (const name of NAMES) await slice(servers[name], name, warmupSeconds);
  const slices: Slice[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 === 0 ? NAMES : NAMES.toReversed()) {
      const s = await slice(servers[name], name, sliceSeconds);
      slices.push(s);
      write(
        `  ${name.padEnd(9)} ${s.cpuUsPerResponse.toFixed(2).padStart(6)} µs/response  ` +
          `${s.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${s.p99Ms.toFixed(2)} ms  ` +
          `cpu ${s.cpuPercent.toFixed(0)} %  wrk ${s.generatorCpuPercent.toFixed(0)} %\n`,
      );
    }
  }
  const soaks: Partial<Record<Name, Slice>> = {};
  if (soakSeconds > 0) {
    for (const name of ['bare', 'npm start', 'image'] as const) {
      const s = (soaks[name] = await slice(servers[name], name, soakSeconds));
      write(
        `  soak ${name.padEnd(9)} ${s.cpuUsPerResponse.toFixed(2)} µs/response  ${s.requestsPerSecond.toFixed(0)} req/s` +
          `  peak RSS ${(procStatusKb(servers[name].pid, 'VmHWM') / 1024).toFixed(1)} MB\n`,
      );
    }
  }
  const peakRssMb = Object.fromEntries(NAMES.map((n) => [n, procStatusKb(servers[n].pid, 'VmHWM') / 1024]));
  const exitCodes: Partial<Record<Name, number | null>> = {};
  for (const name of NAMES) exitCodes[name] = await stop(servers[name]);

  const of = (name: Name) => slices.filter((s) => s.server === name);
  const summary = (name: Name) => ({
    cpuUsPerResponse: median(of(name).map((s) => s.cpuUsPerResponse)),
    requestsPerSecond: median(of(name).map((s) => s.requestsPerSecond)),
    p50Ms: median(of(name).map((s) => s.p50Ms)),
    p99Ms: median(of(name).map((s) => s.p99Ms)),
    peakRssMb: peakRssMb[name]!,
    coldStartMs: cold[name] ? median(cold[name]) : Number.NaN,
    errors: of(name).reduce((sum, s) => sum + s.errors, 0) + (soaks[name]?.errors ?? 0),
    responses: of(name).reduce((sum, s) => sum + s.responses, 0) + (soaks[name]?.responses ?? 0),
    cpuPercent: median(of(name).map((s) => s.cpuPercent)),
    generatorCpuPercent: median(of(name).map((s) => s.generatorCpuPercent)),
    soakCpuUsPerResponse: soaks[name]?.cpuUsPerResponse ?? Number.NaN,
    serverErrorLogLines: servers[name].errorLines(),
    exitCode: exitCodes[name],
  });
  const results = Object.fromEntries(NAMES.map((n) => [n, summary(n)])) as Record<Name, ReturnType<typeof summary>>;

  /** Ratios of one start mode against one baseline, each the median over rounds of the ratio within the round. */
  const ratiosOf = (mode: Name, baseline: Name) => {
    const within = (field: 'requestsPerSecond' | 'p50Ms' | 'p99Ms' | 'cpuUsPerResponse', inverse = false) =>
      median(
        of(mode).map((s, i) => (inverse ? of(baseline)[i]![field] / s[field] : s[field] / of(baseline)[i]![field])),
      );
    return {
      cpuEfficiency: within('cpuUsPerResponse', true),
      throughput: within('requestsPerSecond'),
      p50: within('p50Ms'),
      p99: within('p99Ms'),
      peakRss: results[mode].peakRssMb / results[baseline].peakRssMb,
      coldStart: results[mode].coldStartMs / results[baseline].coldStartMs,
    };
  };
  const ratios = {
    'npm/bare': ratiosOf('npm start', 'bare'),
    'image/bare': ratiosOf('image', 'bare'),
    'npm/bare+hdrs': ratiosOf('npm start', 'bare+hdrs'),
    'image/bare+hdrs': ratiosOf('image', 'bare+hdrs'),
  };
  const noErrors = NAMES.every((n) => results[n].errors === 0);
  const verdicts = Object.fromEntries(
    MODES.map((mode) => {
      const r = ratios[mode === 'image' ? 'image/bare' : 'npm/bare'];
      return [
        mode,
        {
          cpuEfficiency: r.cpuEfficiency >= TARGETS.cpuEfficiency,
          throughput: r.throughput >= TARGETS.throughput,
          p99: r.p99 <= TARGETS.p99,
          peakRss: soakSeconds > 0 && r.peakRss <= TARGETS.peakRss,
          coldStart: r.coldStart <= TARGETS.coldStart,
          noErrors,
        },
      ];
    }),
  ) as Record<(typeof MODES)[number], Record<keyof typeof TARGETS | 'noErrors', boolean>>;

  const cells = (values: readonly string[], width = 11) => values.map((v) => v.padStart(width)).join('');
  // NaN: a figure the bench does not take for that server (no cold start or soak for bare+hdrs).
  const figure = (label: string, pick: (r: (typeof results)[Name]) => string) =>
    `${label.padEnd(34)}${cells(NAMES.map((n) => pick(results[n]).replace('NaN', '–')))}\n`;
  const RATIO_COLUMNS = Object.keys(ratios) as (keyof typeof ratios)[];
  const ratioRow = (label: string, field: keyof typeof TARGETS | 'p50', target: string) => {
    const mark = (mode: (typeof MODES)[number]) => (field === 'p50' ? '' : verdicts[mode][field] ? 'ok' : 'MISS');
    return (
      `${label.padEnd(34)}${cells(
        RATIO_COLUMNS.map((c) => ratios[c][field].toFixed(3)),
        12,
      )}` + `   ${target}${target ? `: ${mark('npm start')}, ${mark('image')}` : ''}\n`
    );
  };
  const load = loadavg();
  write(
    '\n' +
      `${''.padEnd(34)}${cells([...NAMES])}\n` +
      figure('server CPU per response, µs', (r) => r.cpuUsPerResponse.toFixed(2)) +
      figure('requests/s (median slice)', (r) => r.requestsPerSecond.toFixed(0)) +
      figure('p50 latency, ms', (r) => r.p50Ms.toFixed(3)) +
      figure('p99 latency, ms', (r) => r.p99Ms.toFixed(3)) +
      figure(`peak RSS, MB (after ${soakSeconds} s soak)`, (r) => r.peakRssMb.toFixed(1)) +
      figure(`cold start to 200, ms (median ${coldStarts})`, (r) => r.coldStartMs.toFixed(1)) +
      figure('soak CPU µs/response (not paired)', (r) => r.soakCpuUsPerResponse.toFixed(2)) +
      figure('server CPU, % of a core', (r) => r.cpuPercent.toFixed(0)) +
      figure('wrk CPU, % of a core', (r) => r.generatorCpuPercent.toFixed(0)) +
      figure('errors', (r) => String(r.errors)) +
      figure('responses', (r) => String(r.responses)) +
      figure('error log lines; exit code', (r) => `${r.serverErrorLogLines}; ${r.exitCode}`) +
      '\n' +
      `${'ratio'.padEnd(34)}${cells(RATIO_COLUMNS, 16)}   target (npm start, image)\n` +
      ratioRow('CPU efficiency (bare µs / µs)', 'cpuEfficiency', `>= ${TARGETS.cpuEfficiency}`) +
      ratioRow('throughput', 'throughput', `>= ${TARGETS.throughput}`) +
      ratioRow('p50 latency', 'p50', '') +
      ratioRow('p99 latency', 'p99', `<= ${TARGETS.p99}`) +
      ratioRow('peak RSS', 'peakRss', `<= ${TARGETS.peakRss}`) +
      ratioRow('cold start', 'coldStart', `<= ${TARGETS.coldStart}`) +
      `errors: ${noErrors ? 'ok, none' : 'MISS'}; load average at the end ${load.map((l) => l.toFixed(2)).join(' ')}\n`,
  );

  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const report = {
    machine: { ...machine, loadAverageAtEnd: load },
    settings: { rounds, sliceSeconds, warmupSeconds, soakSeconds, connections, coldStarts, path: PATH, serviceEnv },
    commands: Object.fromEntries(NAMES.map((n) => [n, CONTENDERS[n].args.join(' ')])),
    targets: TARGETS,
    results,
    ratios,
    verdicts,
    coldStartsMs: cold,
    slices,
    soaks,
  };
  writeFileSync(`${ROOT}${file}`, `${JSON.stringify(report, null, 2)}\n`);
  write(`\nraw figures: ${file}\n`);
  if (!Object.values(verdicts).every((v) => Object.values(v).every(Boolean))) process.exitCode = 1;
} finally {
  for (const { server } of Object.values(servers)) server.kill();
}
