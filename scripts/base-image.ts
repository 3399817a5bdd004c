/**
 * `npm run image:base`: makes sure the engine has the Dockerfile's base image: the official one if it can be
 * pulled, else the local stand-in (tools/base-image.ts explains it), built once. Prints the name to build on.
 * `npm run image:base -- --platform linux/arm64`: the same for another architecture, under emulation.
 */
import { ensureBaseImage } from '../tools/base-image.ts';
import { findEngine } from '../tools/container-engine.ts';
import { emulationUnavailable, platformOption } from '../tools/platform.ts';

function fail(message: string): never {
  console.error(`npm run image:base: ${message}`);
  process.exit(1);
}

let architecture;
try {
  architecture = platformOption(process.argv.slice(2));
} catch (error) {
  fail((error as Error).message);
}
const emulation = emulationUnavailable(architecture);
if (emulation !== undefined) fail(emulation);
const lookup = findEngine();
if ('unavailable' in lookup) fail(lookup.unavailable);
console.log(await ensureBaseImage(lookup.engine, { inherit: true, architecture }));
