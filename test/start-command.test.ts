import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILE_CACHE, NODE_FLAGS } from '../scripts/warm-compile-cache.ts';
import { execForm, instructions, readDockerfile, stageEnv } from '../tools/dockerfile.ts';
import { ROOT } from '../tools/root.ts';

const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const runtime = readDockerfile().stages.at(-1)!;

/** `KEY=VALUE … command args…`, as npm's shell reads a script with no quoting in it. */
function parseScript(script: string) {
  const words = script.split(' ');
  const assignments = words.filter((word, i) => words.slice(0, i + 1).every((w) => /^[A-Z_]+=/.test(w)));
  return {
    env: Object.fromEntries(assignments.map((word) => word.split('=') as [string, string])),
    argv: words.slice(assignments.length),
  };
}

test('npm start runs node with the V8 flags of the image, then the bundle', () => {
  assert.deepEqual(parseScript(scripts.start!).argv, ['node', ...NODE_FLAGS, 'dist/server.js']);
  assert.deepEqual(execForm(instructions(runtime, 'CMD')[0]!), ['node', ...NODE_FLAGS, 'dist/server.js']);
});

test("npm start sets the image's compile-cache environment, relative to the app folder", () => {
  assert.deepEqual(parseScript(scripts.start!).env, COMPILE_CACHE);
  const image = stageEnv(runtime, ROOT);
  assert.equal(image.NODE_COMPILE_CACHE, join(ROOT, COMPILE_CACHE.NODE_COMPILE_CACHE));
  assert.equal(image.NODE_COMPILE_CACHE_PORTABLE, COMPILE_CACHE.NODE_COMPILE_CACHE_PORTABLE);
});
