/**
 * `npm run image:base`: makes sure the engine has the Dockerfile's base image: the official one if it can be
 * pulled, else the local stand-in (tools/base-image.ts explains it), built once. Prints the name to build on.
 */
import { ensureBaseImage } from '../tools/base-image.ts';
import { findEngine } from '../tools/container-engine.ts';

const lookup = findEngine();
if ('unavailable' in lookup) {
  console.error(`npm run image:base: ${lookup.unavailable}`);
  process.exit(1);
}
console.log(await ensureBaseImage(lookup.engine, { inherit: true }));
