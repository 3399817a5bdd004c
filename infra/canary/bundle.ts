import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/** The repository root: esbuild writes paths relative to it into the bundle, so the bundle is the same from any cwd. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * infra/canary/check.ts as one CommonJS file, the Lambda function's index.js, with the Synthetics runtime's modules
 * left for the runtime to provide. The canary deploys exactly this text, and `npm run canary` runs exactly it.
 */
export function bundleCheck(): string {
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['infra/canary/check.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['Synthetics', 'SyntheticsLogger'],
    write: false,
    legalComments: 'none',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no bundle of infra/canary/check.ts');
  return output.text;
}
