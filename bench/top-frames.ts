/**
 * The functions that took the most CPU time in a V8 profile:
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/server.js   # then load it, then stop it with SIGTERM
 *   node bench/top-frames.ts prof/CPU.*.cpuprofile [COUNT] [--total]
 *
 * By self time, the time spent in a function's own code, as a share of the time the process was busy. With --total,
 * by the time spent in a function and everything it called: what a start-up profile needs, where one module's load
 * is spread over the hundreds it requires. V8 samples the stack about every millisecond (--cpu-prof-interval sets it,
 * in µs), so shares under 0.5 % of a one-second profile are noise.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

const nameOf = ({ callFrame: { functionName, url, lineNumber, columnNumber } }: ProfileNode) => {
  const file = url.replace(/^.*\//, '');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
};

/** Frames by share of the busy samples: (idle), the event loop waiting, is left out, and (root) with --total. */
export function topFrames(profile: { nodes: readonly ProfileNode[] }, count: number, { total = false } = {}) {
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const byFrame = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += hits;
    // A frame counts once per sample, however often it recurs on the stack.
    const frames = new Set([nameOf(node)]);
    for (let caller = total ? parentOf.get(node.id) : undefined; caller; caller = parentOf.get(caller.id))
      if (caller.callFrame.functionName !== '(root)') frames.add(nameOf(caller));
    for (const frame of frames) byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, hits]) => ({ frame, percent: (hits / busy) * 100 }));
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: { total: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [file, count = '25'] = positionals;
  if (file === undefined) {
    process.stderr.write('usage: node bench/top-frames.ts FILE.cpuprofile [COUNT] [--total]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  for (const { frame, percent } of topFrames(profile, Number(count), { total: values.total })) {
    process.stdout.write(`${percent.toFixed(1).padStart(5)} %  ${frame}\n`);
  }
}
