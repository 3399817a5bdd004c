/**
 * Warms V8's compile cache for the bundle: starts `dist/server.js` as the image does, with NODE_COMPILE_CACHE on, asks
 * it one question and stops it, so the code compiled for start-up is on disk in dist/compile-cache. The image ships
 * that folder and sets the same variables (see the Dockerfile); the bundle's compile is then skipped at each start.
 *
 * Node.js keys the cache by Node.js release, by V8 settings and by user id, so it must run as the user the service will run as: the
 * Dockerfile's build stage runs as that user. `npm run build` runs it for the current user;
 * `node scripts/warm-compile-cache.ts <folder>` warms a copy of the app elsewhere.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The V8 settings the image starts Node.js with: the Dockerfile's CMD is `node`, these, then `dist/server.js` (a test
 * holds them equal). The Dockerfile says why each is there. The cache is keyed by them as well, so it is warmed with them.
 */
export const NODE_FLAGS = ['--no-concurrent-recompilation'];

/** As the Dockerfile sets them, relative to the app folder. Portable: keyed by paths relative to the cache folder. */
export const COMPILE_CACHE = { NODE_COMPILE_CACHE: 'dist/compile-cache', NODE_COMPILE_CACHE_PORTABLE: '1' };

export async function warmCompileCache(appDir: string): Promise<void> {
  const server = spawn(process.execPath, [...NODE_FLAGS, 'dist/server.js'], {
    cwd: appDir,
    env: { PATH: process.env.PATH, ...COMPILE_CACHE, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /Server listening at (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`dist/server.js exited (${code}) before listening:\n${output}`)));
  });
  const body = await (await fetch(`${url}/clock?mirror_time=12:22`)).text();
  if (body !== '{"mirror_time":"12:22","actual_time":"11:38"}') throw new Error(`the bundle answered ${body}`);
  server.kill('SIGTERM');
  const [code] = (await once(server, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`dist/server.js exited with ${code} on SIGTERM`);

  // Node.js writes the cache readable by its owner only; the image's files belong to root, read by the service user.
  const cache = join(appDir, COMPILE_CACHE.NODE_COMPILE_CACHE);
  for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) chmodSync(join(entry.parentPath, entry.name), 0o644);
}

if (import.meta.main) await warmCompileCache(process.argv[2] ?? process.cwd());
