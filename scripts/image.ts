/**
 * `npm run image`: builds the image (on the official base, or the local stand-in: tools/base-image.ts) and runs it
 * on http://127.0.0.1:$PORT (default 8080) with the production task definition's settings. Ctrl-C stops it.
 * For the host's architecture; `npm run image -- --platform linux/arm64` builds and runs the tasks' arm64 image on an
 * x86_64 machine, under emulation (tools/platform.ts).
 */
import { spawn } from 'node:child_process';
import { findEngine } from '../tools/container-engine.ts';
import { buildImage, runArgs } from '../tools/image.ts';
import { emulationUnavailable, hostArchitecture, platformOption } from '../tools/platform.ts';
import { productionContainerSettings } from '../tools/task-definition.ts';
import { IDENTITY } from '../src/identity.ts';

function fail(message: string): never {
  console.error(`npm run image: ${message}`);
  process.exit(1);
}

let architecture = hostArchitecture();
try {
  architecture = platformOption(process.argv.slice(2));
} catch (error) {
  fail((error as Error).message);
}
const emulation = emulationUnavailable(architecture);
if (emulation !== undefined) fail(emulation);
// One tag per architecture: building arm64 does not replace the host's image.
const TAG = `localhost/${IDENTITY.slug}:local${architecture === hostArchitecture() ? '' : `-${architecture}`}`;

const lookup = findEngine();
if ('unavailable' in lookup) fail(lookup.unavailable);
const { engine } = lookup;
const settings = productionContainerSettings();
const port = Number(process.env.PORT || 8080);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`npm run image: PORT=${process.env.PORT} is not a TCP port`);
  process.exit(1);
}
// On the host's network (podman where /dev/net/tun is denied) nothing is published: the server binds the host's own
// interfaces. The task definition's HOST (every interface, for the load balancer) would then expose it to the whole
// network, so it listens on loopback only, and on the chosen port itself.
const hostNetwork = engine.publishNetworkArgs.includes('host');
const extraEnv: Record<string, string> = hostNetwork ? { HOST: '127.0.0.1', PORT: String(port) } : {};
await buildImage(engine, { tag: TAG, inherit: true, architecture });
const args = [
  ...engine.globalArgs,
  'run',
  '--rm',
  ...runArgs(engine, settings, { publish: `127.0.0.1:${port}`, extraEnv }),
  TAG,
];
console.log(`${engine.name} ${args.join(' ')}\nhttp://127.0.0.1:${port}/ (Ctrl-C stops it)`);
// The engine forwards Ctrl-C's SIGINT to the container's init, and so to the server, which drains and exits.
process.on('SIGINT', () => undefined);
const child = spawn(engine.name, args, { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
