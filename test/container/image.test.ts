/**
 * The Dockerfile, built with a real engine (tools/container-engine.ts) and run the way the production task
 * definition tells ECS to run it: its port, user, read-only root, init, dropped capabilities, environment and
 * health check, read from the synthesised template. One build per run; the engine's layer cache makes reruns fast.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { baseImageUnavailable } from '../../tools/base-image.ts';
import { engineOutput, findEngine, runEngine, type Engine } from '../../tools/container-engine.ts';
import { BUILD_NPMRC, buildImage, hostCaBundle, runArgs, type BuiltImage } from '../../tools/image.ts';
import { ROOT } from '../../tools/root.ts';
import { productionContainerSettings, type ContainerSettings } from '../../tools/task-definition.ts';
import { IDENTITY } from '../../src/identity.ts';
import { verify } from '../../tools/post-deploy-checks.ts';
import { createServer } from 'node:http';
import { readJUnit } from '../helpers/junit.ts';
import { listenOnLoopback, runScript } from '../helpers/script-run.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

/** What /app may weigh: the bundle (about 2 MB), Swagger UI's files, the compile cache, package.json and the SBOM. */
const APP_BUDGET_BYTES = 8 * 1024 * 1024;

const found = findEngine();
// An engine that cannot get the Dockerfile's base image cannot build: that is a missing requirement too.
const baseMissing = 'engine' in found ? baseImageUnavailable(found.engine) : undefined;
const lookup = baseMissing === undefined ? found : { unavailable: baseMissing };
const required = process.env.REQUIRE_CONTAINER_ENGINE === '1';
const skip = 'unavailable' in lookup ? `skipped, ${lookup.unavailable}` : false;

if ('unavailable' in lookup && required) {
  test('a container engine and a base image are available (REQUIRE_CONTAINER_ENGINE=1)', () => {
    assert.fail(lookup.unavailable);
  });
}

// A tag per checkout: several clones on one machine do not overwrite each other's image. The same hash labels the
// test's containers, so a run can remove those an interrupted run left.
const CHECKOUT = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
const TAG = `localhost/${IDENTITY.slug}:test-${CHECKOUT}`;
const LABEL = `${IDENTITY.slug}-test=${CHECKOUT}`;

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

suite('the image, built and run as the task definition says', { skip, timeout: 900_000 }, () => {
  const engine = (lookup as { engine: Engine }).engine;
  let settings: ContainerSettings;
  let image: BuiltImage;
  let container: string;
  let buildMs: number;
  let firstOkMs: number;
  const containers: string[] = [];

  /** Runs a command in the serving container as its user, with the task definition's environment. */
  const exec = (...command: string[]) => runEngine(engine, ['exec', container, ...command]);
  /** Evaluates an expression (or a promise) in the serving container's Node.js; resolves with its JSON value. */
  const inContainer = async <T>(expression: string): Promise<T> => {
    const result = await exec(
      'node',
      '-e',
      `Promise.resolve(${expression}).then((v) => console.log(JSON.stringify(v)))`,
    );
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as T;
  };
  /** A GET from inside the container: the test needs no published port, so no network and no host port at all. */
  const get = (path: string) =>
    inContainer<{ status: number; type: string; body: string }>(
      `fetch('http://127.0.0.1:${settings.port}${path}').then(async (r) => ` +
        `({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }))`,
    );
  const logs = async () => {
    const result = await runEngine(engine, ['logs', container]);
    return result.stdout + result.stderr;
  };

  before(async () => {
    // `docker rm` has no --filter: list the leftovers, then remove them.
    const leftovers = await engineOutput(engine, ['ps', '--all', '--quiet', '--filter', `label=${LABEL}`]);
    if (leftovers !== '') await engineOutput(engine, ['rm', '--force', ...leftovers.split(/\s+/)]);

    let started = performance.now();
    const building = buildImage(engine, { tag: TAG });
    // Synthesis is synchronous: it runs while the engine builds.
    settings = productionContainerSettings();
    image = await building;
    buildMs = performance.now() - started;

    started = performance.now();
    container = await engineOutput(engine, [
      'run',
      '--detach',
      // Removed when it exits; one left running by an interrupted run carries the label, for the next run.
      '--rm',
      '--label',
      LABEL,
      ...runArgs(engine, settings, {
        // Node.js reports on stderr whether V8 accepted the cached code.
        extraEnv: { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
      }),
      TAG,
    ]);
    containers.push(container);
    // Polls /health from inside, every 20 ms for up to 30 s; the time includes starting that poller (about 0.1 s).
    const ok = await inContainer<boolean>(`(async () => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20)))
        if (await fetch('http://127.0.0.1:${settings.port}${IMAGE_CONTRACT.healthPath}').then((r) => r.ok, () => false))
          return true;
      return false;
    })()`);
    assert.ok(ok, `no 200 within 30 s:\n${await logs()}`);
    firstOkMs = performance.now() - started;
  });

  after(async () => {
    if (containers.length > 0) await runEngine(engine, ['rm', '--force', ...containers]);
  });

  test('builds, on the official base or its local stand-in', (t) => {
    t.diagnostic(
      `built in ${Math.round(buildMs)} ms on ${image.base}; first 200 ${Math.round(firstOkMs)} ms after run`,
    );
    assert.match(image.base, /\/node:\d+\.\d+\.\d+-trixie-slim$/);
  });

  test('is run with the settings of the task definition, which match the image contract', () => {
    assert.equal(settings.port, IMAGE_CONTRACT.port);
    assert.equal(settings.user, IMAGE_CONTRACT.user);
    assert.deepEqual(settings.healthCheck, IMAGE_CONTRACT.healthCheckCommand);
    assert.equal(settings.readonlyRootFilesystem, true);
    assert.equal(settings.init, true);
    assert.deepEqual(settings.dropCapabilities, ['ALL']);
    assert.ok(Object.keys(settings.environment).length > 0, 'the SSM parameters become environment variables');
  });

  test('answers every check of the identity (src/identity.ts), as the deployed service must', async () => {
    for (const check of IDENTITY.checks) {
      const answer = await get(check.path);
      assert.equal(
        verify(check, { status: answer.status, contentType: answer.type, text: answer.body }),
        undefined,
        check.path,
      );
    }
  });

  test("listens on every interface at the task definition's port, where the load balancer reaches it", async () => {
    const tcp = await inContainer<string>("require('node:fs').readFileSync('/proc/net/tcp', 'utf8')");
    // /proc/net/tcp: local address 0.0.0.0 and the port in hex, state 0A (LISTEN).
    const port = settings.port.toString(16).toUpperCase().padStart(4, '0');
    assert.match(tcp, new RegExp(`^\\s*\\d+: 00000000:${port} 00000000:0000 0A `, 'm'));
  });

  test("runs as the task definition's user, under an init, with no capabilities", async () => {
    const status = await inContainer<string>("require('node:fs').readFileSync('/proc/self/status', 'utf8')");
    assert.match(status, /^Uid:\s+1000\s/m);
    assert.match(status, /^CapEff:\s+0{16}$/m);
    assert.match(status, /^CapBnd:\s+0{16}$/m);
    const init = await inContainer<string>("require('node:fs').readFileSync('/proc/1/cmdline', 'utf8')");
    assert.doesNotMatch(init, /^node\0/, 'PID 1 is the init, not the server');
  });

  test('the health-check command exits 0 while the server serves', async () => {
    const result = await exec(...settings.healthCheck);
    assert.equal(result.code, 0, result.stderr);
  });

  test('the health-check command exits 1 when no server runs', async () => {
    const result = await runEngine(engine, [
      'run',
      '--rm',
      '--label',
      LABEL,
      ...runArgs(engine, settings, {}),
      TAG,
      ...settings.healthCheck,
    ]);
    assert.equal(result.code, 1, result.stderr);
  });

  test('npm run acceptance and a 10 s npm run loadtest pass against the image, published on a loopback port', async (t) => {
    const probe = createServer();
    const port = Number(new URL(await listenOnLoopback(probe)).port);
    probe.close();
    // On the host's network nothing is published: the server binds the host's loopback and the chosen port itself.
    const hostNetwork = engine.publishNetworkArgs.includes('host');
    const extraEnv: Record<string, string> = hostNetwork ? { HOST: '127.0.0.1', PORT: String(port) } : {};
    containers.push(
      await engineOutput(engine, [
        'run',
        '--detach',
        '--rm',
        '--label',
        LABEL,
        ...runArgs(engine, settings, { publish: `127.0.0.1:${port}`, extraEnv }),
        TAG,
      ]),
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(url + IMAGE_CONTRACT.healthPath).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      assert.ok(Date.now() < deadline, `no 200 from ${url} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const junit = join(temporaryFolder('acceptance-image', t), 'acceptance.xml');
    const run = await runScript('scripts/acceptance.ts', url, '--junit', junit);
    t.diagnostic(`acceptance against the image in ${Math.round(run.elapsedMs)} ms`);
    assert.equal(run.code, 0, run.stdout.slice(-4000) + run.stderr);
    const cases = readJUnit(junit);
    assert.deepEqual(
      cases.filter((c) => c.outcome === 'failed'),
      [],
    );
    const passed = cases.filter((c) => c.outcome === 'passed').map((c) => c.name);
    assert.ok(passed.length > 90, `${passed.length} passed`);
    assert.ok(
      passed.some((name) => /"Try it out" with 12:22 shows 11:38/.test(name)),
      'the browser suites ran',
    );

    const load = await runScript('scripts/loadtest.ts', url, '--duration', '10', '--junit', `${junit}.load.xml`);
    t.diagnostic(load.stdout);
    assert.equal(load.code, 0, load.stdout + load.stderr);
    assert.deepEqual(
      readJUnit(`${junit}.load.xml`).map((c) => c.outcome),
      ['passed', 'passed', 'passed'],
    );
  });

  test('nothing in the root filesystem can be written', async () => {
    // Every directory outside the kernel's own file systems, and a write attempt where the service could write.
    const found = await inContainer<{ writable: string[]; error: string }>(`(() => {
      const fs = require('node:fs');
      const writable = [];
      const walk = (dir) => {
        if (['/proc', '/sys', '/dev'].includes(dir)) return;
        try { fs.accessSync(dir, fs.constants.W_OK); writable.push(dir); } catch {}
        let entries = [];
        try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch {}
        for (const entry of entries) if (entry.isDirectory()) walk(require('node:path').join(dir, entry.name));
      };
      walk('/');
      let error = '';
      for (const path of ['/app/probe', '/tmp/probe', '/home/node/probe'])
        try { fs.writeFileSync(path, ''); } catch (e) { error += e.code + ' '; }
      return { writable, error: error.trim() };
    })()`);
    assert.deepEqual(found, { writable: [], error: 'EROFS EROFS EROFS' });
  });

  test('V8 accepts the compile cache the build warmed', async () => {
    assert.match(await logs(), /V8 code cache for ESM file:\/\/\/app\/dist\/server\.js was accepted/);
  });

  test('holds the bundle and no npm, no node_modules, no dev dependency', async () => {
    const found = await inContainer<{ app: string[]; nodeModules: string[]; npm: boolean[] }>(`({
      app: require('node:fs').readdirSync('/app').sort(),
      nodeModules: require('node:fs').readdirSync('/app', { recursive: true }).filter((p) => /node_modules/.test(p)),
      npm: ['/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/lib/node_modules/npm'].map(require('node:fs').existsSync),
    })`);
    assert.deepEqual(found, {
      app: ['dist', 'package.json', 'sbom.cdx.json'],
      nodeModules: [],
      npm: [false, false, false],
    });
  });

  test(`/app stays under ${APP_BUDGET_BYTES / 1024 / 1024} MiB`, async (t) => {
    const bytes = await inContainer<number>(`require('node:fs')
      .readdirSync('/app', { recursive: true })
      .map((path) => require('node:fs').lstatSync('/app/' + path).size)
      .reduce((sum, size) => sum + size, 0)`);
    const inspect = await engineOutput(engine, ['image', 'inspect', '--format', '{{.Size}}', TAG]);
    t.diagnostic(`/app ${(bytes / 1024 / 1024).toFixed(2)} MiB; image ${(Number(inspect) / 1e6).toFixed(0)} MB`);
    assert.ok(bytes > 0 && bytes < APP_BUDGET_BYTES, `${bytes} bytes`);
  });

  test('carries the OCI labels: source, revision, version', async () => {
    const labels = JSON.parse(
      await engineOutput(engine, ['image', 'inspect', '--format', '{{json .Config.Labels}}', TAG]),
    ) as Record<string, string>;
    assert.equal(labels['org.opencontainers.image.source'], image.labels.source);
    assert.equal(labels['org.opencontainers.image.revision'], image.labels.revision);
    assert.equal(labels['org.opencontainers.image.version'], image.labels.version);
    assert.match(image.labels.revision, /^[0-9a-f]{40}$/);
  });

  test('the SBOM lists the production dependencies, fastify among them, and no dev dependency', async () => {
    const result = await exec('cat', '/app/sbom.cdx.json');
    assert.equal(result.code, 0, result.stderr);
    const sbom = JSON.parse(result.stdout) as { bomFormat: string; components: { name: string }[] };
    assert.equal(sbom.bomFormat, 'CycloneDX');
    const names = new Set(sbom.components.map((component) => component.name));
    for (const name of Object.keys(packageJson.dependencies)) assert.ok(names.has(name), `${name} is listed`);
    assert.ok(names.has('fastify'));
    const dev = Object.keys(packageJson.devDependencies).filter((name) => names.has(name));
    assert.deepEqual(dev, []);
  });

  test('no layer holds the CA bundle or the npmrc the build was given', async () => {
    const ca = hostCaBundle();
    const secrets = [Buffer.from(BUILD_NPMRC), ...(ca === undefined ? [] : [readFileSync(ca)])];
    const saved = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-save-`));
    try {
      const archive = join(saved, 'image.tar');
      await engineOutput(engine, ['save', '--output', archive, TAG]);
      const extract = spawnSync('tar', ['-xf', archive, '-C', saved]);
      assert.equal(extract.status, 0, String(extract.stderr));
      const layers = readdirSync(saved, { recursive: true, encoding: 'utf8' }).filter((file) => {
        const path = join(saved, file);
        return path !== archive && statSync(path).isFile() && statSync(path).size > 1024;
      });
      let scanned = 0;
      for (const layer of layers) {
        // `tar -tv` fails on files that are not tar archives (the config, the manifests): those are not layers.
        const listing = spawnSync('tar', ['-tvf', join(saved, layer)], { encoding: 'utf8', maxBuffer: 1 << 28 });
        if (listing.status !== 0) continue;
        scanned++;
        for (const line of listing.stdout.split('\n')) {
          const match = /^\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
          if (!match) continue;
          const [, size, path] = match;
          assert.doesNotMatch(path!, /(^|\/)\.npmrc$|(^|\/)run\/secrets\/./, `${layer} holds ${path}`);
          const same = secrets.filter((secret) => secret.length === Number(size));
          if (same.length === 0) continue;
          const content = spawnSync('tar', ['-xOf', join(saved, layer), path!], { maxBuffer: 1 << 28 }).stdout;
          assert.ok(!same.some((secret) => secret.equals(content)), `${layer} holds a build secret as ${path}`);
        }
      }
      assert.ok(scanned >= 2, `scanned ${scanned} layers`);
    } finally {
      rmSync(saved, { recursive: true, force: true });
    }
  });

  test('SIGTERM with an idle keep-alive connection open: exit 0 within 5 s', async (t) => {
    // A client in the container makes one request on a keep-alive connection, prints how many connections it holds
    // idle, and keeps them.
    const client = spawn(
      engine.name,
      [
        ...engine.globalArgs,
        'exec',
        container,
        'node',
        '-e',
        `const http = require('node:http');
        const agent = new http.Agent({ keepAlive: true });
        http.get('http://127.0.0.1:${settings.port}/health', { agent }, (response) => {
          response.resume().on('end', () => setImmediate(() => console.log(Object.values(agent.freeSockets).flat().length)));
        });
        setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      // The first output, unless the exec ends without any (it failed) or hangs: neither may stall the suite.
      let timer: NodeJS.Timeout | undefined;
      const idle = await Promise.race([
        once(client.stdout.setEncoding('utf8'), 'data').then(([data]) => String(data)),
        once(client, 'exit').then(([code]) => ({ failed: `exited ${code} without printing its idle connections` })),
        new Promise<{ failed: string }>((resolve) => {
          timer = setTimeout(() => resolve({ failed: 'printed nothing within 10 s' }), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      if (typeof idle !== 'string') assert.fail(`the client in the container (${engine.name} exec) ${idle.failed}`);
      assert.equal(idle.trim(), '1', 'one connection open, idle');

      // The container is removed (--rm) once it exits: read its logs while it is there.
      const logsBefore = await logs();
      const started = performance.now();
      const waiting = engineOutput(engine, ['wait', container]);
      // What ECS sends at a stop: SIGTERM to PID 1, the init, which passes it to the server.
      await engineOutput(engine, ['kill', '--signal', 'TERM', container]);
      const code = await waiting;
      const elapsed = performance.now() - started;
      t.diagnostic(`SIGTERM to exit ${Math.round(elapsed)} ms`);
      assert.equal(code, '0', `exit code after SIGTERM; the logs before it:\n${logsBefore}`);
      assert.ok(elapsed < 5000, `${elapsed} ms`);
    } finally {
      client.kill();
    }
  });
});
