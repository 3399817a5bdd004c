/**
 * There is no Docker engine here, so this replays the runtime stage of the Dockerfile by hand: a folder
 * holding only what that stage copies, the production install its `deps` stage runs, and its exact CMD
 * started as an unprivileged user (nobody, 65534) who can read that folder but not write to it.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { copies, execForm, instructions, readDockerfile, type Stage } from './dockerfile.ts';

const NOBODY = 65534;
const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const lockfile = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};

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
  const env = Object.fromEntries(instructions(runtime, 'ENV').map((e) => e.split('=') as [string, string]));
  let server: ServerProcess | undefined;

  before(async () => {
    // The deps stage: its COPYs from the build context, then its RUN (npm ci --omit=dev --ignore-scripts).
    const deps = dockerfile.stage('deps');
    const depsRoot = join(scratch, 'deps');
    mkdirSync(depsRoot);
    for (const copy of copies(deps)) {
      for (const source of copy.sources)
        cpSync(join(ROOT, source), join(local(depsRoot, deps, copy.destination), source));
    }
    for (const command of instructions(deps, 'RUN')) {
      // npm runs on the Node.js 24 that runs this test, as it would on the image's.
      const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
      const { code, output } = await run('sh', ['-c', command], { cwd: depsRoot, env: { ...process.env, PATH: path } });
      assert.equal(code, 0, output);
    }

    // The runtime stage's COPYs: from deps, from build (whose `npm run build` output is this checkout's dist/,
    // built by pretest), and from the context.
    const stageRoots: Record<string, string> = { deps: depsRoot, build: ROOT };
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
    // mkdtemp makes 0700 folders: let nobody in, to read and run, not to write.
    chmodSync(scratch, 0o755);
    chmodSync(app, 0o755);

    // Node resolves packages from the parents of the app folder too; none may supply a missing one.
    for (let dir = dirname(scratch); ; dir = dirname(dir)) {
      assert.equal(existsSync(join(dir, 'node_modules')), false, `${dir}${sep}node_modules would leak packages in`);
      if (dir === dirname(dir)) break;
    }

    const [executable, ...args] = execForm(instructions(runtime, 'CMD')[0]!)!;
    assert.equal(executable, 'node');
    server = await startServerProcess({ args, cwd: app, uid: NOBODY, gid: NOBODY, env });
  });

  after(() => {
    server?.kill();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('holds exactly what the Dockerfile copies', () => {
    assert.deepEqual(readdirSync(app).sort(), ['dist', 'node_modules', 'package.json']);
  });

  test('exactly the production packages of the lockfile are installed: none that only development needs', () => {
    const locked = Object.entries(lockfile.packages).filter(([path]) => path !== '');
    const installed = (path: string) => existsSync(join(app, path, 'package.json'));
    const devOnly = locked.filter(([, entry]) => entry.dev === true).map(([path]) => path);
    const production = locked.filter(([, entry]) => entry.dev !== true).map(([path]) => path);
    assert.ok(devOnly.includes('node_modules/typescript') && devOnly.includes('node_modules/aws-cdk-lib'));
    assert.deepEqual(devOnly.filter(installed), []);
    assert.deepEqual(
      production.filter((path) => !installed(path)),
      [],
    );
    for (const name of Object.keys(packageJson.dependencies)) assert.ok(installed(`node_modules/${name}`), name);
  });

  test('the CMD serves /health, with NODE_ENV=production, as nobody', async () => {
    assert.deepEqual(env, { NODE_ENV: 'production' });
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
