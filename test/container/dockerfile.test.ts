import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { COMPILE_CACHE, NODE_FLAGS } from '../../scripts/warm-compile-cache.ts';
import { ROOT } from '../../tools/root.ts';
import { copies, execForm, instructions, isIgnored, parseCopy, readDockerfile } from '../../tools/dockerfile.ts';

const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
const nodeVersion = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/node/package.json'), 'utf8')) as { version: string }
).version;

suite('Dockerfile', () => {
  test('names no syntax image: BuildKit would pull it from Docker Hub, anonymously, in CodeBuild', () => {
    assert.doesNotMatch(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), /^#\s*syntax\s*=/im);
  });

  test('is multi-stage: the build, the compile-cache warm-up, then the runtime stage last', () => {
    assert.deepEqual(
      dockerfile.stages.map((s) => s.name),
      ['build', 'warm', 'runtime'],
    );
  });

  test("the build runs on the build machine's platform; the warm-up and the runtime on the image's", () => {
    // Building the arm64 image on x86_64 then emulates only the warm-up and the runtime stage, not npm ci.
    assert.deepEqual(
      dockerfile.stages.map((s) => [s.name, s.platform]),
      [
        ['build', '$BUILDPLATFORM'],
        ['warm', '$TARGETPLATFORM'],
        ['runtime', '$TARGETPLATFORM'],
      ],
    );
  });

  test('every stage is the official Node.js 24 slim image (ECR Public copy), pinned by digest to the release development runs', () => {
    for (const stage of dockerfile.stages) {
      // A floating tag (node:24-slim, node:lts) would change under us, and so can a re-pushed release tag: the digest
      // cannot. The tag stays for people, and names the local stand-in.
      const match = /^public\.ecr\.aws\/docker\/library\/node:(\d+\.\d+\.\d+)-trixie-slim(@sha256:[0-9a-f]{64})$/.exec(
        stage.image,
      );
      assert.ok(match, `${stage.name}: ${stage.image} is not pinned to an exact Node.js release`);
      assert.equal(match[1], nodeVersion, "the image's Node.js is the devDependency `node` that tests run on");
    }
    assert.equal(nodeVersion.split('.')[0], '24');
  });

  test('the build stage installs from the lockfile, with no install scripts, and bundles with the npm script', () => {
    const build = dockerfile.stage('build');
    assert.deepEqual(instructions(build, 'RUN'), [
      'chown node:node /app',
      // The proxy's CA reaches npm as build secrets, readable by the build user, mounted for this step only.
      '--mount=type=secret,id=npmrc,uid=1000 --mount=type=secret,id=ca,uid=1000 ' +
        'NPM_CONFIG_USERCONFIG=/run/secrets/npmrc npm ci --ignore-scripts --no-audit --no-fund',
      'npm sbom --omit=dev --sbom-format cyclonedx > sbom.npm.cdx.json',
      'npm run build',
    ]);
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } };
    assert.equal(packageJson.scripts.build, 'node scripts/build.ts', 'the build needs only what the stage copies');
  });

  test('the build stage runs as the runtime user', () => {
    assert.deepEqual(instructions(dockerfile.stage('build'), 'USER'), [IMAGE_CONTRACT.user]);
  });

  test("the warm-up stage runs the bundle once, as the runtime user, whose id keys the cache, on the build's files", () => {
    const warm = dockerfile.stage('warm');
    assert.deepEqual(instructions(warm, 'USER'), [IMAGE_CONTRACT.user]);
    assert.deepEqual(instructions(warm, 'RUN'), ['node scripts/warm-compile-cache.ts']);
    assert.deepEqual(instructions(warm, 'WORKDIR'), [IMAGE_CONTRACT.workdir]);
    // The runtime user writes the cache into dist/; the script and what it imports come from the build stage.
    assert.deepEqual(copies(warm), [
      { from: 'build', sources: ['/app/package.json'], destination: './' },
      { from: 'build', sources: ['/app/dist'], destination: './dist' },
      { from: 'build', sources: ['/app/scripts/warm-compile-cache.ts'], destination: './scripts/' },
      { from: 'build', sources: ['/app/tools/root.ts', '/app/tools/server-process.ts'], destination: './tools/' },
      { from: 'build', sources: ['/app/src/identity.ts'], destination: './src/' },
    ]);
    const owned = warm.instructions.filter((i) => i.keyword === 'COPY' && i.args.includes('--chown=node:node'));
    assert.deepEqual(
      owned.map((i) => parseCopy(i).sources),
      [['/app/package.json'], ['/app/dist']],
    );
  });

  test('the runtime stage holds the bundle, its SBOM and package.json, nothing else: no node_modules', () => {
    assert.deepEqual(copies(runtime), [
      { from: 'warm', sources: ['/app/dist'], destination: './dist' },
      { from: undefined, sources: ['package.json'], destination: './' },
    ]);
    const [removeNpm, sbom, ...rest] = instructions(runtime, 'RUN');
    assert.deepEqual(rest, []);
    // Removes npm from the base image, outside the app's directory.
    assert.match(removeNpm!, /^rm -rf( \/usr\/local\/(lib\/node_modules|bin)\/\w+)+$/);
    // Writes the whole image's SBOM with the stage's own Node.js, from the build stage mounted for that step alone.
    assert.equal(
      sbom,
      '--mount=type=bind,from=build,source=/app,target=/build ' +
        'node /build/tools/image-sbom.ts --npm /build/sbom.npm.cdx.json > sbom.cdx.json',
    );
  });

  test('sets NODE_ENV=production, and points Node.js at the compile cache the build warmed', () => {
    assert.deepEqual(instructions(runtime, 'ENV'), [
      'NODE_ENV=production',
      `NODE_COMPILE_CACHE=${IMAGE_CONTRACT.workdir}/${COMPILE_CACHE.NODE_COMPILE_CACHE}`,
      `NODE_COMPILE_CACHE_PORTABLE=${COMPILE_CACHE.NODE_COMPILE_CACHE_PORTABLE}`,
    ]);
  });

  test('runs as a non-root user, the one the task definition names', () => {
    const users = instructions(runtime, 'USER');
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0]!, /^(root|0)(:|$)/);
    assert.equal(users[0], IMAGE_CONTRACT.user);
    const userIndex = runtime.instructions.findIndex((i) => i.keyword === 'USER');
    const cmdIndex = runtime.instructions.findIndex((i) => i.keyword === 'CMD');
    assert.ok(userIndex < cmdIndex, 'USER comes before CMD');
  });

  test('exposes the port the task definition and the target groups use', () => {
    assert.deepEqual(instructions(runtime, 'EXPOSE'), [String(IMAGE_CONTRACT.port)]);
  });

  test('starts node itself with an exec-form CMD: no npm, no shell, no entrypoint script', () => {
    const cmd = instructions(runtime, 'CMD');
    assert.equal(cmd.length, 1);
    // The V8 settings are those the build warms the compile cache with, which is keyed by them.
    assert.deepEqual(execForm(cmd[0]!), ['node', ...NODE_FLAGS, 'dist/server.js']);
    assert.deepEqual(instructions(runtime, 'ENTRYPOINT').map(execForm), [[]]);
  });

  test('has no HEALTHCHECK: ECS ignores it; the task definition runs the health-check script', () => {
    assert.deepEqual(instructions(runtime, 'HEALTHCHECK'), []);
    assert.deepEqual(instructions(runtime, 'WORKDIR'), [IMAGE_CONTRACT.workdir]);
    const [executable, script] = IMAGE_CONTRACT.healthCheckCommand;
    assert.equal(executable, 'node');
    assert.equal(script, `${IMAGE_CONTRACT.workdir}/dist/healthcheck.js`);
    assert.ok(existsSync(join(ROOT, 'dist/healthcheck.js')), 'npm run build bundles src/healthcheck.ts into dist/');
  });
});

suite('.dockerignore', () => {
  const contextCopies = dockerfile.stages.flatMap((stage) => copies(stage).filter((c) => c.from === undefined));

  for (const path of [
    'test/app.test.ts',
    'test/helpers/browser.ts',
    'tools/dockerfile.ts',
    'infra/bin/app.ts',
    'node_modules/fastify/package.json',
    '.git/HEAD',
    '.env',
    '.env.local',
    '.vscode/settings.json',
    'dist/server.js',
    'cdk.out/manifest.json',
    'coverage/lcov.info',
    'reports/junit.xml',
    'README.md',
    'Dockerfile',
    'cdk.json',
  ]) {
    test(`keeps ${path} out of the build context`, () => {
      assert.equal(isIgnored(dockerignore, path), true);
    });
  }

  test('lets in everything the Dockerfile copies from the context', () => {
    const sources = contextCopies.flatMap((c) => c.sources);
    assert.deepEqual([...new Set(sources)].sort(), [
      'package-lock.json',
      'package.json',
      'scripts/build.ts',
      'scripts/warm-compile-cache.ts',
      'src',
      'tools/image-sbom.ts',
      'tools/root.ts',
      'tools/server-process.ts',
    ]);
    for (const source of [...sources, 'src/server.ts', 'src/routes/health.ts', 'src/healthcheck.ts']) {
      assert.equal(isIgnored(dockerignore, source), false, source);
    }
  });
});
