/**
 * One slice of load from wrk, pinned to its own core when taskset is there.
 *
 * wrk, not autocannon: it is written in C and spends a fraction of the CPU per request that autocannon does, so the
 * server, not the load generator, sets the pace. Against the bare server autocannon used 99 % of its core, and the
 * throughput ratio measured autocannon. wrk's Lua hook (bench/wrk-check.lua) still checks every body.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { ROOT } from '../tools/root.ts';
import type { LoadResult } from '../tools/load.ts';

/** What a slice of load measures, as the reliability tests' autocannon load reports it; wrk counts no status codes. */
export type WrkResult = Omit<LoadResult, 'statusCodes'>;

export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** User plus system CPU time of a process and its threads, in clock ticks (1/100 s on Linux); NaN once it is gone. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

export async function runWrk(
  url: string,
  options: { connections: number; seconds: number; expectBody: string; core?: number },
): Promise<WrkResult> {
  const args = [
    ...['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s'],
    ...['-s', 'bench/wrk-check.lua', url, '--', options.expectBody],
  ];
  const child =
    options.core === undefined
      ? spawn('wrk', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(options.core), 'wrk', ...args], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // wrk's CPU time, read until it exits (taskset execs wrk, so the pid is wrk's).
  let ticks = 0;
  const sampler = setInterval(() => {
    const now = cpuTicks(child.pid!);
    if (!Number.isNaN(now)) ticks = now;
  }, 20);
  const began = performance.now();
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(sampler);
  const wallSeconds = (performance.now() - began) / 1000;
  const line = /^WRK_RESULT (.*)$/m.exec(output);
  if (code !== 0 || line === null) throw new Error(`wrk exited with ${code}:\n${output}`);
  const r = JSON.parse(line[1]!) as Record<string, number>;
  const seconds = r.durationUs! / 1e6;
  return {
    seconds,
    responses: r.responses!,
    requestsPerSecond: r.responses! / seconds,
    p50Ms: r.p50Us! / 1000,
    p99Ms: r.p99Us! / 1000,
    errors: r.wrong! + r.connectErrors! + r.readErrors! + r.writeErrors! + r.timeouts!,
    generatorCpuPercent: ticks / wallSeconds,
  };
}
