/**
 * The base image the Dockerfile names (the official Node.js image), or, where no registry can be reached, a local
 * stand-in built once and kept by the engine: Debian trixie minbase from Debian's archive (mmdebstrap, no root
 * needed), the Node.js release binary that the `node` devDependency installed, npm 11 from the npm registry, and
 * the user and group `node` 1000:1000 with home /home/node. It carries the official tag under `localhost/node`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineOutput, onPath, runEngine, type Engine } from './container-engine.ts';
import { readDockerfile } from './dockerfile.ts';
import { verifyNodeBinary } from './node-binary.ts';
import { ROOT } from './root.ts';
import { IDENTITY } from '../src/identity.ts';

/** The npm major that the Node.js release bundles. */
const NPM = 'npm@11';

/** The local name of the stand-in for an official image: same tag, under localhost/node. */
export function standInName(official: string): string {
  const match = /\/node:(\d+\.\d+\.\d+-(\w+)-slim)$/.exec(official.replace(/@sha256:[0-9a-f]{64}$/, ''));
  if (!match) throw new Error(`${official} is not an official node:<version>-<debian>-slim image`);
  return `localhost/node:${match[1]}`;
}

/** Runs a command to completion; throws with its output unless it exits 0. */
function run(command: string, args: readonly string[], options: { cwd?: string; inherit?: boolean } = {}) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

const exists = async (engine: Engine, image: string) =>
  (await runEngine(engine, ['image', 'inspect', image])).code === 0;

/** Builds the stand-in: one mmdebstrap run writes the whole root filesystem, which the engine imports as one layer. */
export async function buildStandIn(
  engine: Engine,
  official: string,
  options: { inherit?: boolean } = {},
): Promise<string> {
  const name = standInName(official);
  const [, version, suite] = /:(\d+\.\d+\.\d+)-(\w+)-slim$/.exec(name)!;
  const nodePackage = JSON.parse(readFileSync(join(ROOT, 'node_modules/node/package.json'), 'utf8')) as {
    version: string;
  };
  if (nodePackage.version !== version) {
    throw new Error(`${official} runs Node.js ${version}, but the node devDependency is ${nodePackage.version}`);
  }
  // Outside the lock file: checked against its recorded sha256 before it goes into an image.
  await verifyNodeBinary(join(ROOT, 'node_modules/node/bin/node'), version, `linux-${process.arch}`);
  const work = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-base-`));
  try {
    copyFileSync(join(ROOT, 'node_modules/node/bin/node'), join(work, 'node'));
    await run('npm', ['pack', NPM, '--silent', '--pack-destination', work]);
    const tarball = readdirSync(work).find((file) => /^npm-\d.*\.tgz$/.test(file))!;
    await run('tar', ['-xzf', tarball], { cwd: work });
    renameSync(join(work, 'package'), join(work, 'npm'));
    const rootfs = join(work, 'rootfs.tar');
    await run(
      'mmdebstrap',
      [
        '--quiet',
        '--variant=minbase',
        '--mode=unshare',
        // The official image's user, as its Dockerfile creates it.
        '--customize-hook=chroot "$1" groupadd --gid 1000 node',
        '--customize-hook=chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
        `--customize-hook=copy-in ${join(work, 'node')} /usr/local/bin`,
        '--customize-hook=mkdir -p "$1/usr/local/lib/node_modules"',
        `--customize-hook=copy-in ${join(work, 'npm')} /usr/local/lib/node_modules`,
        '--customize-hook=ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
        '--customize-hook=ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
        '--customize-hook=chroot "$1" node --version',
        '--customize-hook=chroot "$1" npm --version',
        suite!,
        rootfs,
      ],
      { inherit: options.inherit },
    );
    await engineOutput(engine, [
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      `ENV NODE_VERSION=${version}`,
      '--change',
      'CMD ["node"]',
      rootfs,
      name,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return name;
}

/** What building the stand-in needs and this machine lacks, as one line with the fix; undefined if nothing. */
function standInToolsMissing(): string | undefined {
  // mmdebstrap's unshare mode maps the root filesystem's ids with newuidmap and newgidmap when not run as root.
  const tools = process.getuid?.() === 0 ? ['mmdebstrap'] : ['mmdebstrap', 'newuidmap', 'newgidmap'];
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length === 0) return undefined;
  return `building the stand-in needs ${missing.join(', ')}: apt-get install mmdebstrap uidmap`;
}

/**
 * Why no base image can be had, in one line with the fix, or undefined if one can: the official one is there or can
 * be pulled, the stand-in is there, or this machine has the tools to build it. Synchronous, for a test's skip.
 */
export function baseImageUnavailable(engine: Engine): string | undefined {
  const missing = standInToolsMissing();
  if (missing === undefined) return undefined;
  const official = readDockerfile().stages[0]!.image;
  const succeeds = (...args: string[]) =>
    spawnSync(engine.name, [...engine.globalArgs, ...args], { stdio: 'ignore', timeout: 120_000 }).status === 0;
  if (succeeds('image', 'inspect', official) || succeeds('image', 'inspect', standInName(official))) return undefined;
  if (succeeds('pull', '--quiet', official)) return undefined;
  return `${official} cannot be pulled, and ${missing}`;
}

/**
 * The image to build on: the official one if the engine has it or can pull it, else the stand-in, built the
 * first time. Resolves with its name.
 */
export async function ensureBaseImage(engine: Engine, options: { inherit?: boolean } = {}): Promise<string> {
  const official = readDockerfile().stages[0]!.image;
  if (await exists(engine, official)) return official;
  const standIn = standInName(official);
  if (await exists(engine, standIn)) return standIn;
  if ((await runEngine(engine, ['pull', '--quiet', official])).code === 0) return official;
  const missing = standInToolsMissing();
  if (missing !== undefined) throw new Error(`${official} cannot be pulled, and ${missing}`);
  if (options.inherit) console.log(`${official} cannot be pulled here: building the stand-in ${standIn} once`);
  return buildStandIn(engine, official, options);
}
