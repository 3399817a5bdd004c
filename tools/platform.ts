/**
 * The architectures an image is built for here: the host's, natively, and another one under emulation, where QEMU is
 * registered with the kernel's binfmt_misc. That is how an x86_64 machine builds and runs the tasks' arm64 image
 * (`npm run image -- --platform linux/arm64`, test/container/task-architecture.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Architecture } from '../infra/lib/service/image-contract.ts';

export const ARCHITECTURES: readonly Architecture[] = ['amd64', 'arm64'];

/** Where the kernel lists binfmt_misc's handlers, once it is mounted. */
export const BINFMT_MISC = '/proc/sys/fs/binfmt_misc';

/** This machine's architecture, as OCI platforms name it. */
export function hostArchitecture(arch: string = process.arch): Architecture {
  if (arch === 'x64') return 'amd64';
  if (arch === 'arm64') return 'arm64';
  throw new Error(`images are built on x64 and arm64 machines, not on ${arch}`);
}

/** `linux/amd64` or `linux/arm64`, as `--platform` takes it; throws with the accepted values for anything else. */
export function parsePlatform(platform: string): Architecture {
  const architecture = ARCHITECTURES.find((arch) => platform === `linux/${arch}`);
  if (architecture === undefined) {
    throw new Error(`--platform ${platform}: expected ${ARCHITECTURES.map((arch) => `linux/${arch}`).join(' or ')}`);
  }
  return architecture;
}

/** The ELF machine field (bytes 18-19, little-endian) of each architecture's executables, in hex. */
const ELF_MACHINE: Readonly<Record<Architecture, string>> = { amd64: '3e00', arm64: 'b700' };

interface Handler {
  readonly name: string;
  readonly enabled: boolean;
  readonly interpreter: string;
  readonly flags: string;
  readonly offset: string;
  readonly magic: string;
}

/** A handler's file under binfmt_misc: `enabled`, then `key value` lines (`flags: PF` has a colon). */
function parseHandler(name: string, text: string): Handler {
  const lines = text.split('\n');
  const field = (name: string) =>
    lines
      .find((line) => line.startsWith(`${name} `) || line.startsWith(`${name}: `))
      ?.slice(name.length + 1)
      .replace(/^:?\s*/, '') ?? '';
  return {
    name,
    enabled: lines[0] === 'enabled',
    interpreter: field('interpreter'),
    flags: field('flags'),
    offset: field('offset'),
    magic: field('magic'),
  };
}

/** Whether a handler runs 64-bit little-endian ELF executables of that architecture. */
const runs = (handler: Handler, architecture: Architecture) =>
  handler.offset === '0' &&
  handler.magic.startsWith('7f454c460201') &&
  handler.magic.slice(36, 40) === ELF_MACHINE[architecture];

/** QEMU's name for each architecture, as in its binfmt.d files. */
const QEMU_NAME: Readonly<Record<Architecture, string>> = { amd64: 'x86_64', arm64: 'aarch64' };

/**
 * Why this machine cannot run `architecture`'s executables, in one line with the fix, or undefined if it can: it is
 * the host's, or binfmt_misc hands them to an enabled interpreter registered with the F (fix-binary) flag. Without F
 * the kernel opens the interpreter by path when a program starts, inside the container, where it does not exist.
 * Registering needs root, so tests only look: .ci/run registers QEMU.
 */
export function emulationUnavailable(
  architecture: Architecture,
  options: { readonly host?: Architecture; readonly binfmtMisc?: string } = {},
): string | undefined {
  if (architecture === (options.host ?? hostArchitecture())) return undefined;
  const dir = options.binfmtMisc ?? BINFMT_MISC;
  const no = `no emulation of ${architecture}`;
  const register =
    `apt-get install qemu-user-static, then write /usr/lib/binfmt.d/qemu-${QEMU_NAME[architecture]}.conf to ` +
    `${BINFMT_MISC}/register (.ci/run does this)`;
  if (!existsSync(join(dir, 'status'))) {
    return `${no}: binfmt_misc is not mounted; as root: mount -t binfmt_misc binfmt_misc ${BINFMT_MISC}, ${register}`;
  }
  if (readFileSync(join(dir, 'status'), 'utf8').trim() !== 'enabled') {
    return `${no}: binfmt_misc is disabled; as root: echo 1 > ${BINFMT_MISC}/status`;
  }
  const handlers = readdirSync(dir)
    .filter((name) => name !== 'status' && name !== 'register')
    .map((name) => parseHandler(name, readFileSync(join(dir, name), 'utf8')))
    .filter((handler) => handler.enabled && runs(handler, architecture));
  if (handlers.length === 0) return `${no}: binfmt_misc has no enabled handler for it; as root: ${register}`;
  const [handler] = handlers;
  if (!handlers.some(({ flags }) => flags.includes('F'))) {
    return (
      `${no} in containers: ${handler!.interpreter} is registered without the F (fix-binary) flag; as root: ` +
      `echo -1 > ${BINFMT_MISC}/${handler!.name}, then ${register.slice('apt-get install qemu-user-static, then '.length)}`
    );
  }
  return undefined;
}

/**
 * The architecture a script's arguments ask for: `--platform linux/<architecture>`, or the host's. Throws, with the
 * accepted form, for anything else.
 */
export function platformOption(args: readonly string[]): Architecture {
  let values: { platform?: string };
  try {
    ({ values } = parseArgs({ args: [...args], options: { platform: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new Error(`${(error as Error).message}; the only option is --platform linux/<amd64|arm64>`, { cause: error });
  }
  return values.platform === undefined ? hostArchitecture() : parsePlatform(values.platform);
}
