/**
 * There is no Docker engine here, so this replays the runtime stage of the Dockerfile by hand: a folder
 * holding only what that stage copies (the bundle from the build stage, which is this checkout's dist/, built
 * by pretest), the compile cache warmed as the user who runs the service, as the build stage does, and its exact
 * CMD and ENV, started as that unprivileged user (nobody, 65534), who can read the folder but not write to it.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { ROOT } from '../../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { copies, execForm, instructions, readDockerfile, stageEnv, type Stage } from '../../tools/dockerfile.ts';

const NOBODY = 65534;
const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;

async function run(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

/** Maps a path inside a stage (under its WORKDIR) to the folder that stands in for that stage here. */
function local(stageRoot: string, stage: Stage, path: string): string {
  const workdir = instructions(stage, 'WORKDIR').at(-1)!;
  return join(stageRoot, path.startsWith('/') ? path.slice(workdir.length) : path);
}

suite('the runtime stage, replayed without Docker', { timeout: 180_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'clock-mirror-image-'));
  const app = join(scratch, 'app');
  // The image's environment, its paths moved to the replica.
  const env = stageEnv(runtime, app);
  let server: ServerProcess | undefined;

  /** Gives `path` and all below it to `uid` (and the group of that number), as ownership changes between stages. */
  const chownAll = (path: string, uid: number) => {
    chownSync(path, uid, uid);
    for (const entry of readdirSync(path, { recursive: true, encoding: 'utf8' }))
      chownSync(join(path, entry), uid, uid);
  };

  before(async () => {
    // The runtime stage's COPYs: from the build stage, whose `npm run build` output is this checkout's dist/, and
    // from the context.
    const stageRoots: Record<string, string> = { build: ROOT };
    mkdirSync(app);
    for (const copy of copies(runtime)) {
      for (const source of copy.sources) {
        const from =
          copy.from === undefined
            ? join(ROOT, source)
            : local(stageRoots[copy.from]!, dockerfile.stage(copy.from), source);
        const destination = copy.destination.endsWith('/')
          ? join(local(app, runtime, copy.destination), source)
          : local(app, runtime, copy.destination);
        cpSync(from, destination, { recursive: true });
      }
    }
    // The build stage warms the compile cache as the service's user (Node.js keys it by user id); a cache in this
    // checkout's dist/ belongs to whoever ran `npm start`. Warm it afresh as nobody, then hand it back to root, as COPY does.
    // mkdtemp makes 0700 folders: let nobody in, to read and run; the app folder itself is root's again below.
    chmodSync(scratch, 0o755);
    chmodSync(app, 0o755);
    const cache = env.NODE_COMPILE_CACHE!;
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache);
    chownAll(app, NOBODY);
    const warm = await run(process.execPath, [join(ROOT, 'scripts/warm-compile-cache.ts'), app], {
      cwd: app,
      uid: NOBODY,
      gid: NOBODY,
    });
    assert.equal(warm.code, 0, warm.output);
    chownAll(app, 0);

    // Node resolves packages from the parents of the app folder too; none may supply a missing one.
    for (let dir = dirname(scratch); ; dir = dirname(dir)) {
      assert.equal(existsSync(join(dir, 'node_modules')), false, `${dir}${sep}node_modules would leak packages in`);
      if (dir === dirname(dir)) break;
    }

    const [executable, ...args] = execForm(instructions(runtime, 'CMD')[0]!)!;
    assert.equal(executable, 'node');
    // NODE_DEBUG_NATIVE: Node.js reports on stderr whether V8 accepted the cached code.
    server = await startServerProcess({
      args,
      cwd: app,
      uid: NOBODY,
      gid: NOBODY,
      env: { ...env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
  });

  after(() => {
    server?.kill();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('holds exactly what the Dockerfile copies: the bundle and package.json, no node_modules', () => {
    assert.deepEqual(readdirSync(app).sort(), ['dist', 'package.json']);
    assert.deepEqual(readdirSync(join(app, 'dist')).sort(), [
      'cli.js',
      'compile-cache',
      'healthcheck.js',
      'server.js',
      'server.js.LEGAL.txt',
      'swagger-ui',
    ]);
  });

  test('the CMD starts from the compile cache: V8 accepts the code the build compiled', () => {
    assert.match(server!.output(), /V8 code cache for ESM file:\/\/\S+\/dist\/server\.js was accepted/);
  });

  test('the CMD serves /health, with NODE_ENV=production, as nobody', async () => {
    assert.equal(env.NODE_ENV, 'production');
    const response = await fetch(`${server!.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('the CMD serves /clock', async () => {
    const response = await fetch(`${server!.url}/clock?mirror_time=12:22`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { mirror_time: '12:22', actual_time: '11:38' });
  });

  test("the task definition's health check exits 0 against it, and 1 against a dead port", async () => {
    const [executable, script] = IMAGE_CONTRACT.healthCheckCommand;
    assert.equal(executable, 'node');
    const inApp = join(app, script.slice(IMAGE_CONTRACT.workdir.length));
    const check = (port: number) =>
      run(process.execPath, [inApp], { cwd: app, uid: NOBODY, gid: NOBODY, env: { ...env, PORT: String(port) } });
    const healthy = await check(server!.port);
    assert.equal(healthy.code, 0, healthy.output);

    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const dead = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    assert.equal((await check(dead)).code, 1);
  });

  test('the service needs no write access: nobody cannot write to the app folder', async () => {
    const { code, output } = await run(process.execPath, ['-e', "require('node:fs').writeFileSync('probe', '')"], {
      cwd: app,
      uid: NOBODY,
      gid: NOBODY,
    });
    assert.notEqual(code, 0);
    assert.match(output, /EACCES: permission denied, open 'probe'/);
  });

  test('SIGTERM, as ECS sends it, stops the server cleanly', async () => {
    server!.child.kill('SIGTERM');
    assert.deepEqual(await server!.exited, { code: 0, signal: null });
  });
});
