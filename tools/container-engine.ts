/**
 * The OCI engine that builds and runs the image here, in tests and in `npm run image`: CONTAINER_ENGINE if set,
 * else docker if its daemon answers, else podman if it can run containers for this user. It carries the flags
 * each engine needs on machines like this one, so that callers only say what to build or run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';

export type EngineName = 'docker' | 'podman';

export interface Engine {
  readonly name: EngineName;
  /** Flags before the subcommand, for every call. */
  readonly globalArgs: readonly string[];
  /** Flags for `build` and `run`: resource limits the engine would otherwise raise. */
  readonly limitArgs: readonly string[];
  /** `build` flags: how the build reaches the npm registry. */
  readonly buildNetworkArgs: readonly string[];
  /** `run` flags for a container whose port is published on this host. */
  readonly publishNetworkArgs: readonly string[];
  /** `run --read-only` flags beyond that one: nothing writable that the task definition does not grant. */
  readonly readOnlyArgs: readonly string[];
}

export type EngineLookup = { readonly engine: Engine } | { readonly unavailable: string };

/** Each says what is missing and how to supply it, in one line. */
const NO_ENGINE = 'no container engine: install docker (with its daemon running) or podman and runc';
const NO_IDS =
  'podman has no subordinate ids for this user: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "$USER"';

const succeeds = (command: string, args: readonly string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
};

/** Whether an executable of that name is on PATH. */
export const onPath = (command: string): boolean =>
  (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(`${dir}/${command}`));

function docker(): Engine {
  return {
    name: 'docker',
    globalArgs: [],
    limitArgs: [],
    buildNetworkArgs: [],
    publishNetworkArgs: [],
    readOnlyArgs: [],
  };
}

function canOpenTun(): boolean {
  try {
    closeSync(openSync('/dev/net/tun', 'r+'));
    return true;
  } catch {
    return false;
  }
}

function podman(): Engine {
  return {
    name: 'podman',
    // crun cannot create containers under some kernels' cgroup setups where runc can; prefer runc where installed.
    globalArgs: onPath('runc') ? ['--runtime', 'runc'] : [],
    // Podman raises nofile and nproc to the host's hard limit, which fails where a sandbox forbids raising them;
    // these fit under common limits and far exceed what one Node.js process uses.
    limitArgs: ['--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=4096:4096'],
    // Build steps share the host's network: its DNS and proxy settings, with no bridge plugin needed.
    buildNetworkArgs: ['--network=host'],
    // slirp4netns publishes ports rootful and rootless, with or without CNI plugins, but needs /dev/net/tun; where a
    // sandbox denies it, the container shares the host's network and its port is the host's.
    publishNetworkArgs: canOpenTun() ? ['--network', 'slirp4netns'] : ['--network', 'host'],
    // Podman mounts writable tmpfs on /tmp, /var/tmp and /run with --read-only; ECS's read-only root does not.
    readOnlyArgs: ['--read-only-tmpfs=false'],
  };
}

/** Whether rootless podman has subordinate ids for the image's users: without them, no image with uid 1000 unpacks. */
function podmanHasIds(): boolean {
  if (process.getuid?.() === 0) return true;
  const result = spawnSync('podman', ['unshare', 'cat', '/proc/self/uid_map'], { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) return false;
  const ids = result.stdout
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[2] ?? 0), 0);
  return ids >= 65_536;
}

/** Finds the engine, or says why there is none. */
export function findEngine(env: NodeJS.ProcessEnv = process.env): EngineLookup {
  const chosen = env.CONTAINER_ENGINE;
  if (chosen !== undefined && chosen !== '') {
    if (chosen !== 'docker' && chosen !== 'podman')
      return { unavailable: `CONTAINER_ENGINE=${chosen}: use docker or podman` };
    if (!succeeds(chosen, ['info']))
      return { unavailable: `CONTAINER_ENGINE=${chosen}, but \`${chosen} info\` fails: is it installed and running?` };
    if (chosen === 'podman' && !podmanHasIds()) return { unavailable: NO_IDS };
    return { engine: chosen === 'docker' ? docker() : podman() };
  }
  // A docker client alone is not an engine: `docker info` needs the daemon.
  if (onPath('docker') && succeeds('docker', ['info'])) return { engine: docker() };
  if (onPath('podman') && succeeds('podman', ['info'])) {
    if (podmanHasIds()) return { engine: podman() };
    return { unavailable: NO_IDS };
  }
  return { unavailable: NO_ENGINE };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the engine with `args` and collects its output; `inherit` streams it to this terminal instead. */
export async function runEngine(
  engine: Engine,
  args: readonly string[],
  options: { readonly inherit?: boolean } = {},
): Promise<RunResult> {
  const output = options.inherit ? 'inherit' : 'pipe';
  const child = spawn(engine.name, [...engine.globalArgs, ...args], { stdio: ['ignore', output, output] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  // `run --detach` leaves helpers (conmon) that may inherit the pipes and hold them open: read what the engine
  // wrote, but do not wait for every holder to close them.
  const ended = [child.stdout, child.stderr].flatMap((stream) =>
    stream && !stream.readableEnded ? [once(stream, 'end')] : [],
  );
  await Promise.race([Promise.all(ended), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  return { code, stdout, stderr };
}

/** Like runEngine, but throws with the engine's output unless it exits 0; resolves with stdout, trimmed. */
export async function engineOutput(
  engine: Engine,
  args: readonly string[],
  options: { readonly inherit?: boolean } = {},
) {
  const result = await runEngine(engine, args, options);
  if (result.code !== 0) {
    throw new Error(`${engine.name} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout.trim();
}
