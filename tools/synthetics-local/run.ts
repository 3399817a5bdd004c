/**
 * `npm run canary -- <service url>`: runs the canary here as Lambda runs it: the same CommonJS bundle of
 * infra/canary/check.ts that the stack deploys, loaded as index.js and its `handler` called. A module resolution hook
 * maps the runtime's module names, `Synthetics` and `SyntheticsLogger`, to the local stand-ins beside this file, as
 * the Synthetics layer provides them in Lambda. Exits 0 when every step passed, 1 otherwise.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDENTITY } from '../../src/identity.ts';
import { bundleCheck } from '../../infra/canary/bundle.ts';
import { steps } from './synthetics.ts';

const RUNTIME_MODULES: Readonly<Record<string, string>> = {
  Synthetics: new URL('synthetics.ts', import.meta.url).href,
  SyntheticsLogger: new URL('logger.ts', import.meta.url).href,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = RUNTIME_MODULES[specifier];
    return url === undefined ? nextResolve(specifier, context) : { url, shortCircuit: true };
  },
});

const [serviceUrl] = process.argv.slice(2);
if (serviceUrl === undefined) {
  console.error('usage: npm run canary -- <service url, e.g. http://127.0.0.1:8080>');
  process.exit(2);
}
process.env.SERVICE_URL = serviceUrl;

const folder = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-canary-`));
const script = join(folder, 'index.js');
writeFileSync(script, bundleCheck());
try {
  const { handler } = createRequire(import.meta.url)(script) as { handler: () => Promise<void> };
  await handler();
  console.log(`PASSED: ${steps.map((step) => `${step.name} (${step.durationMs} ms)`).join(', ')}`);
} catch (error) {
  console.error(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(folder, { recursive: true, force: true });
}
