import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/** The repository root: esbuild writes paths relative to it into the bundle, so the bundle is the same from any cwd. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let bundled: string | undefined;

/**
 * infra/delivery-metrics/handler.ts as one ES module, index.mjs, in a temporary directory for Lambda's asset: one
 * per process, however many apps it synthesises (the tests make dozens). The AWS SDK is left out: Lambda's Node.js
 * runtime provides it.
 */
export function bundleHandler(): string {
  if (bundled !== undefined) return bundled;
  const directory = mkdtempSync(join(tmpdir(), 'delivery-metrics-'));
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['infra/delivery-metrics/handler.ts'],
    outfile: join(directory, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
  });
  // Synthesis copies the asset into the cloud assembly; the folder is not needed once the process ends.
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  bundled = directory;
  return directory;
}
