import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topFrames } from '../../bench/top-frames.ts';

const frame = (id: number, functionName: string, hitCount: number, children: number[] = [], line = id) => ({
  id,
  callFrame: {
    functionName,
    url: functionName.startsWith('(') ? '' : 'file:///app/dist/server.js',
    lineNumber: line,
    columnNumber: 0,
  },
  hitCount,
  children,
});

// (root) → main → a → main (recursion) and main → b; (idle) and (garbage collector) beside them. 6 busy samples.
const PROFILE = {
  nodes: [
    frame(1, '(root)', 0, [2, 5, 6]),
    frame(2, 'main', 0, [3, 4]),
    frame(3, 'a', 3, [7]),
    frame(4, 'b', 1),
    frame(5, '(idle)', 10),
    frame(6, '(garbage collector)', 1),
    frame(7, 'main', 1, [], 2),
  ],
};

const shares = (frames: { frame: string; percent: number }[]) =>
  Object.fromEntries(frames.map(({ frame, percent }) => [frame, Math.round(percent * 10) / 10]));

test('by self time: each sample counts for the frame it was taken in, idle left out', () => {
  assert.deepEqual(shares(topFrames(PROFILE, 10)), {
    'a server.js:4:1': 50,
    'b server.js:5:1': 16.7,
    '(garbage collector)': 16.7,
    'main server.js:3:1': 16.7,
  });
});

test('by total time: a sample counts for every frame on its stack, once, and not for (root)', () => {
  assert.deepEqual(shares(topFrames(PROFILE, 10, { total: true })), {
    'main server.js:3:1': 83.3,
    'a server.js:4:1': 66.7,
    'b server.js:5:1': 16.7,
    '(garbage collector)': 16.7,
  });
});

test('keeps the busiest COUNT frames', () => {
  assert.deepEqual(
    topFrames(PROFILE, 1).map(({ frame }) => frame),
    ['a server.js:4:1'],
  );
});
