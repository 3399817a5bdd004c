/**
 * The Dockerfile, built with a real engine (tools/container-engine.ts) and run the way the production task
 * definition tells ECS to run it: its port, user, read-only root, init, dropped capabilities, environment and
 * health check, read from the synthesised template. One build per run; the engine's layer cache makes reruns fast.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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
import {
  removeLeftovers,
  startContainer,
  stopWithIdleConnection,
  type RunningContainer,
} from '../helpers/container.ts';
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
  let container: RunningContainer;
  let buildMs: number;
  const containers: string[] = [];

  const exec = (...command: string[]) => container.exec(...command);
  const inContainer = <T>(expression: string) => container.inContainer<T>(expression);
  const get = (path: string) => container.get(path);
  const logs = () => container.logs();

  before(async () => {
    await removeLeftovers(engine, LABEL);
    const started = performance.now();
    const building = buildImage(engine, { tag: TAG });
    // Synthesis is synchronous: it runs while the engine builds.
    settings = productionContainerSettings();
    image = await building;
    buildMs = performance.now() - started;
    // Node.js reports on stderr whether V8 accepted the cached code.
    container = await startContainer(engine, {
      tag: TAG,
      label: LABEL,
      settings,
      extraEnv: { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
    containers.push(container.id);
  });

  after(async () => {
    if (containers.length > 0) await runEngine(engine, ['rm', '--force', ...containers]);
  });

  test('builds, on the official base or its local stand-in', (t) => {
    t.diagnostic(
      `built in ${Math.round(buildMs)} ms on ${image.base}; first 200 ${Math.round(container.firstOkMs)} ms after run`,
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
    const sbom = JSON.parse(result.stdout) as { bomFormat: string; components: { name: string; purl?: string }[] };
    assert.equal(sbom.bomFormat, 'CycloneDX');
    const npm = sbom.components.filter((component) => component.purl?.startsWith('pkg:npm/'));
    const names = new Set(npm.map((component) => component.name));
    for (const name of Object.keys(packageJson.dependencies)) assert.ok(names.has(name), `${name} is listed`);
    assert.ok(names.has('fastify'));
    const dev = Object.keys(packageJson.devDependencies).filter((name) => names.has(name));
    assert.deepEqual(dev, []);
  });

  test("the SBOM lists every Debian package installed in the image, and the image's Node.js binary by sha256", async () => {
    const sbom = JSON.parse((await exec('cat', '/app/sbom.cdx.json')).stdout) as {
      specVersion: string;
      components: { name: string; version: string; purl?: string; hashes?: { content: string }[] }[];
    };
    assert.equal(sbom.specVersion, '1.5');
    const installed = await exec('dpkg-query', '-W', '-f', '${db:Status-Abbrev}${Package} ${Version}\\n');
    assert.equal(installed.code, 0, installed.stderr);
    const packages = installed.stdout
      .split('\n')
      .filter((line) => line.startsWith('ii '))
      .map((line) => line.slice(3).trim());
    assert.ok(packages.length > 50, `${packages.length} packages`);
    const debs = new Set(
      sbom.components.filter((c) => c.purl?.startsWith('pkg:deb/')).map((c) => `${c.name} ${c.version}`),
    );
    assert.deepEqual(
      packages.filter((pkg) => !debs.has(pkg)),
      [],
    );
    const node = sbom.components.find((c) => c.purl?.startsWith('pkg:generic/node@'))!;
    const sum = await exec('sha256sum', '/usr/local/bin/node');
    assert.equal(node.hashes?.[0]?.content, sum.stdout.split(' ')[0]);
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
    const stop = await stopWithIdleConnection(engine, container, settings.port);
    t.diagnostic(`SIGTERM to exit ${Math.round(stop.ms)} ms`);
    assert.equal(stop.code, '0', `exit code after SIGTERM; the logs before it:\n${stop.logsBefore}`);
    assert.ok(stop.ms < 5000, `${stop.ms} ms`);
  });
});
