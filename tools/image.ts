/**
 * Builds this repository's Dockerfile and runs the image as the task definition says, with the engine from
 * tools/container-engine.ts: shared by the container tests and `npm run image`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBaseImage } from './base-image.ts';
import { engineOutput, runEngine, type Engine } from './container-engine.ts';
import { readDockerfile } from './dockerfile.ts';
import { hostArchitecture } from './platform.ts';
import { ROOT } from './root.ts';
import type { Architecture } from '../infra/lib/service/image-contract.ts';
import type { ContainerSettings } from './task-definition.ts';
import { IDENTITY } from '../src/identity.ts';

/** The build secrets' ids in the Dockerfile, and where the npmrc tells npm to find the CA bundle. */
const CA_SECRET = 'ca';
const NPMRC_SECRET = 'npmrc';

/** The npmrc the build gets as a secret: it points npm at the CA bundle, mounted beside it. */
export const BUILD_NPMRC = `cafile=/run/secrets/${CA_SECRET}\n`;

/**
 * The CA bundle the host trusts, for npm in the build behind a TLS-inspecting proxy: NODE_EXTRA_CA_CERTS, npm's
 * cafile, else Debian's and Alpine's system bundle, else none (the build then uses npm's own CAs).
 */
export function hostCaBundle(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.NODE_EXTRA_CA_CERTS, env.npm_config_cafile, '/etc/ssl/certs/ca-certificates.crt'];
  return candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
}

export interface ImageLabels {
  readonly source: string;
  readonly revision: string;
  readonly version: string;
}

const git = (...args: string[]): string | undefined => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

/** What the OCI labels say: the repository (its origin remote), the commit, package.json's version. */
export function imageLabels(): ImageLabels {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    source: git('remote', 'get-url', 'origin') ?? 'unknown',
    revision: git('rev-parse', 'HEAD') ?? 'unknown',
    version,
  };
}

export interface BuildOptions {
  /** The tag to give the image. */
  readonly tag: string;
  /** Stream the engine's output to this terminal. */
  readonly inherit?: boolean;
  /** The architecture to build for; another than the host's runs under emulation (tools/platform.ts). @default the host's */
  readonly architecture?: Architecture;
}

export interface BuiltImage {
  readonly tag: string;
  /** The runtime stage's base: the official image, or the local stand-in (tools/base-image.ts). */
  readonly base: string;
  readonly architecture: Architecture;
  readonly labels: ImageLabels;
}

/** The ID of the image a tag names, or undefined if there is none. */
async function imageId(engine: Engine, tag: string): Promise<string | undefined> {
  const result = await runEngine(engine, ['image', 'inspect', '--format', '{{.Id}}', tag]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/**
 * Builds the Dockerfile on the base image there is, passing the host's CA bundle as a build secret. When the build
 * moves the tag to a new image, the previous one (about 270 MB) is removed, so rebuilds leave no untagged images.
 */
export async function buildImage(engine: Engine, options: BuildOptions): Promise<BuiltImage> {
  const host = hostArchitecture();
  const architecture = options.architecture ?? host;
  // The build stage runs on the host's platform, the later stages on the image's (see the Dockerfile).
  const buildBase = await ensureBaseImage(engine, { inherit: options.inherit });
  const base =
    architecture === host ? buildBase : await ensureBaseImage(engine, { inherit: options.inherit, architecture });
  const previous = await imageId(engine, options.tag);
  const official = readDockerfile().stages[0]!.image;
  const labels = imageLabels();
  const secrets = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-build-`));
  try {
    const ca = hostCaBundle();
    const secretArgs: string[] = [];
    if (ca !== undefined) {
      const npmrc = join(secrets, 'npmrc');
      writeFileSync(npmrc, BUILD_NPMRC);
      secretArgs.push('--secret', `id=${CA_SECRET},src=${ca}`, '--secret', `id=${NPMRC_SECRET},src=${npmrc}`);
    }
    await engineOutput(
      engine,
      [
        'build',
        ...engine.limitArgs,
        ...engine.buildNetworkArgs,
        ...secretArgs,
        ...(architecture === host ? [] : ['--platform', `linux/${architecture}`]),
        // Docker sets it; podman 4 leaves it empty, and the build stage would then run on the target's platform.
        ...(engine.name === 'podman' ? ['--build-arg', `BUILDPLATFORM=linux/${host}`] : []),
        ...(base === official ? [] : ['--build-arg', `NODE_IMAGE=${base}`]),
        ...(buildBase === base ? [] : ['--build-arg', `BUILD_NODE_IMAGE=${buildBase}`]),
        // On the command line, not as ARGs in a LABEL: podman 4 reuses a cached LABEL step when only an ARG's value
        // changed, which would label a new commit's image with an old revision.
        '--label',
        `org.opencontainers.image.source=${labels.source}`,
        '--label',
        `org.opencontainers.image.revision=${labels.revision}`,
        '--label',
        `org.opencontainers.image.version=${labels.version}`,
        '--tag',
        options.tag,
        ROOT,
      ],
      { inherit: options.inherit },
    );
  } finally {
    rmSync(secrets, { recursive: true, force: true });
  }
  if (previous !== undefined && previous !== (await imageId(engine, options.tag))) {
    // Without --force, the engine refuses to remove an image that a container uses or another tag names: then it
    // stays, and the build has still succeeded.
    await runEngine(engine, ['image', 'rm', previous]);
  }
  return { tag: options.tag, base, architecture, labels };
}

export interface RunOptions {
  /** Where to publish the port on this host, e.g. `127.0.0.1:8080`. @default - no network at all */
  readonly publish?: string;
  /** Added to the task definition's environment. */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Arguments after the image: a command instead of its CMD. */
  readonly command?: readonly string[];
}

/** `run` flags that do what the task definition tells ECS: user, read-only root, init, capabilities, environment. */
export function runArgs(engine: Engine, settings: ContainerSettings, options: RunOptions): string[] {
  const environment = { ...settings.environment, ...options.extraEnv };
  // On the host's network the port is the host's already; podman would warn that it discards --publish.
  const hostNetwork = engine.publishNetworkArgs.includes('host');
  const network =
    options.publish === undefined
      ? ['--network', 'none']
      : [...engine.publishNetworkArgs, ...(hostNetwork ? [] : ['--publish', `${options.publish}:${settings.port}`])];
  return [
    ...engine.limitArgs,
    ...network,
    '--user',
    settings.user,
    ...(settings.readonlyRootFilesystem ? ['--read-only', ...engine.readOnlyArgs] : []),
    ...(settings.init ? ['--init'] : []),
    ...settings.dropCapabilities.flatMap((capability) => ['--cap-drop', capability]),
    ...Object.entries(environment).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  ];
}
