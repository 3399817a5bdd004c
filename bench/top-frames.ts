/**
 * The functions that took the most CPU time in a V8 profile, by self time:
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/server.js   # then load it, then stop it with SIGTERM
 *   node bench/top-frames.ts prof/CPU.*.cpuprofile [COUNT]
 *
 * Self time is the time spent in a function's own code, not in what it calls, as a share of the time the process was
 * busy. V8 samples the stack about every millisecond, so shares under 0.5 % are noise.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  readonly hitCount?: number;
}

/** Frames by share of the busy samples: (idle), the event loop waiting, is left out. */
export function topFrames(profile: { nodes: readonly ProfileNode[] }, count: number) {
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    const hits = node.hitCount ?? 0;
    total += hits;
    const file = url.replace(/^.*\//, '');
    const frame = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
  }
  return [...byFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, hits]) => ({ frame, percent: (hits / total) * 100 }));
}

if (import.meta.main) {
  const [file, count = '25'] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/top-frames.ts FILE.cpuprofile [COUNT]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  for (const { frame, percent } of topFrames(profile, Number(count))) {
    process.stdout.write(`${percent.toFixed(1).padStart(5)} %  ${frame}\n`);
  }
}
