/**
 * Warms V8's compile cache for the bundle: starts `dist/server.js` as the image does, with NODE_COMPILE_CACHE on, asks
 * its health path (every service has one, so no business route is needed) and stops it, so the code compiled for
 * start-up is on disk in dist/compile-cache. The image ships that folder and sets the same variables (see the
 * Dockerfile); the bundle's compile is then skipped at each start.
 *
 * Node.js keys the cache by Node.js release, by V8 settings and by user id, so it must run as the user the service
 * will run as: the Dockerfile's build stage runs it as that user, after `npm run build`.
 * `node scripts/warm-compile-cache.ts <folder>` warms a copy of the app elsewhere.
 */
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY } from '../src/identity.ts';
import { startServerProcess } from '../tools/server-process.ts';

/**
 * The V8 settings the service starts with: the Dockerfile's CMD and `npm start` are `node`, these, then
 * `dist/server.js` (test/start-command.test.ts holds all three equal). The Dockerfile says why each is there. The
 * cache is keyed by them as well, so it is warmed with them.
 */
export const NODE_FLAGS = ['--no-concurrent-recompilation'];

/**
 * The compile cache, relative to the app folder, as the Dockerfile's ENV and `npm start` set it. Portable: keyed by
 * paths relative to the cache folder, so the image's /app and a checkout share the same entries.
 */
export const COMPILE_CACHE = { NODE_COMPILE_CACHE: 'dist/compile-cache', NODE_COMPILE_CACHE_PORTABLE: '1' };

export async function warmCompileCache(appDir: string): Promise<void> {
  const server = await startServerProcess({
    args: [...NODE_FLAGS, 'dist/server.js'],
    cwd: appDir,
    env: { ...COMPILE_CACHE, NODE_ENV: 'production' },
  });
  try {
    const response = await fetch(server.url + IDENTITY.healthPath);
    if (response.status !== 200) throw new Error(`the bundle answered ${response.status} ${await response.text()}`);
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    if (code !== 0) throw new Error(`dist/server.js exited with ${code} on SIGTERM:\n${server.output()}`);
  } finally {
    server.kill();
  }

  // Node.js writes the cache readable by its owner only; the image's files belong to root, read by the service user.
  const cache = join(appDir, COMPILE_CACHE.NODE_COMPILE_CACHE);
  for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) chmodSync(join(entry.parentPath, entry.name), 0o644);
}

if (import.meta.main) await warmCompileCache(process.argv[2] ?? process.cwd());
