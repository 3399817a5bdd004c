/**
 * `npm run rename` (scripts/rename.ts), run in a copy of the repository: what it refuses, what it rewrites, and that
 * the renamed copy still builds, synthesises with every check and passes the platform's suites.
 */
import { after, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IDENTITY } from '../../src/identity.ts';
import { namesFor } from '../../scripts/rename.ts';
import { ROOT } from '../../tools/root.ts';

/** The example, unless this repository already bears that name: a rename must change something. */
const TO = namesFor(IDENTITY.slug === 'orders-api' ? 'parcel-tracker' : 'orders-api');
/** Whether the example is still here to drop (not in a repository renamed with --drop-example). */
const HAS_EXAMPLE = existsSync(join(ROOT, 'src/example'));

const copies: string[] = [];
after(() => {
  if (process.env.KEEP_TEMP === undefined) for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

/** The files git would give a clone (tracked, and new ones not ignored), in a repository of their own. */
function copyOfTheRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-rename-`));
  copies.push(copy);
  for (const file of git(ROOT, 'ls-files', '-co', '--exclude-standard', '-z').split('\0')) {
    if (file === '' || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  // The installed packages as they are: a rename changes no dependency.
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  git(copy, 'init', '-q');
  git(copy, 'add', '-A');
  git(copy, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'copy');
  return copy;
}

function run(cwd: string, args: readonly string[], timeout = 240_000) {
  const result = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

const rename = (cwd: string, ...args: string[]) => run(cwd, ['scripts/rename.ts', ...args]);

/** Lines that still spell the old name, outside what records history (docs/decisions/) or the template's authors. */
function oldNames(copy: string): string[] {
  const pattern = [IDENTITY.id, IDENTITY.slug, IDENTITY.name].join('|');
  // The rename and its test give example slugs, as test/identity.test.ts allows.
  const exempt = [':!docs/decisions', ':!LICENSE', ':!scripts/rename.ts', ':!test/scripts/rename.test.ts'];
  const found = spawnSync('git', ['grep', '-n', '-I', '-E', pattern, '--', '.', ...exempt], {
    cwd: copy,
    encoding: 'utf8',
  });
  return found.stdout.split('\n').filter((line) => line !== '');
}

/** The stacks infra/bin/app.ts synthesises in the copy, with a pipeline, as the CDK CLI runs it. */
function stacksOf(copy: string): string[] {
  const outdir = join(copy, 'cdk.out');
  const cdkJson = JSON.parse(readFileSync(join(copy, 'cdk.json'), 'utf8')) as { context: object };
  const context = {
    ...cdkJson.context,
    connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123',
    githubOwner: 'octo-org',
  };
  const result = spawnSync(process.execPath, ['infra/bin/app.ts'], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 240_000,
    env: { PATH: process.env.PATH, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  assert.equal(result.status, 0, result.stderr);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string }>;
  };
  return Object.entries(manifest.artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id]) => id)
    .sort();
}

/** The suites that hold the platform, with the starter or the example registered; each runs its own process. */
const PLATFORM_SUITES = [
  'test/identity.test.ts',
  'test/app.test.ts',
  'test/errors.test.ts',
  'test/headers.test.ts',
  'test/routes/docs.test.ts',
  'test/scripts/build.test.ts',
  'test/scripts/smoke.test.ts',
  'test/canary/check.test.ts',
  'test/infra/pipeline-app.test.ts',
  'test/openapi/lint.test.ts',
  'test/openapi/client.test.ts',
];

suite('npm run rename', () => {
  const copy = copyOfTheRepository();

  for (const [slug, why] of [
    ['Orders_API', 'capitals and an underscore'],
    ['orders--api', 'an empty word'],
    ['orders-', 'a trailing hyphen'],
    ['9orders', 'a leading digit'],
    ['a'.repeat(41), 'over 40 characters'],
  ] as const) {
    test(`refuses ${JSON.stringify(slug.slice(0, 12))} (${why}) with exit code 1, and changes nothing`, () => {
      const refused = rename(copy, slug);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is not a valid slug: expected lower-case letters and digits/);
      assert.equal(git(copy, 'status', '--porcelain'), '');
    });
  }

  test('without a slug it prints its usage and exits 1, changing nothing', () => {
    const refused = rename(copy);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^usage: npm run rename -- <slug>/);
    assert.equal(git(copy, 'status', '--porcelain'), '');
  });

  test(`renames to ${TO.slug}: the identity, the package, the lock file and the docs, and says what changed`, (t) => {
    const started = performance.now();
    const renamed = rename(copy, TO.slug);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(renamed.code, 0, renamed.output);
    assert.ok(
      renamed.stdout.startsWith(
        `renamed ${IDENTITY.slug} to ${TO.slug}: stacks ${TO.id}-*, display name "${TO.name}"\n`,
      ),
      renamed.stdout,
    );
    for (const file of ['src/identity.ts', 'package.json', 'package-lock.json', 'README.md']) {
      assert.match(renamed.stdout, new RegExp(`^ {2}changed {2}${file.replace('.', '\\.')}$`, 'm'));
    }
    assert.match(renamed.stdout, /^Next:$/m);
    const identity = readFileSync(join(copy, 'src/identity.ts'), 'utf8');
    assert.ok(identity.includes(`  id: '${TO.id}',\n  slug: '${TO.slug}',\n  name: '${TO.name}',\n`), identity);
    const packageJson = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { name: string };
    assert.equal(packageJson.name, TO.slug);
    assert.deepEqual(oldNames(copy), []);
    t.diagnostic(`rename took ${seconds.toFixed(1)} s`);
  });

  test('run again, it changes nothing and says so', () => {
    const before = git(copy, 'status', '--porcelain');
    const again = rename(copy, TO.slug);
    assert.equal(again.code, 0, again.output);
    assert.equal(again.stdout.trim(), `nothing to change: the service is already ${TO.slug} (${TO.id}, "${TO.name}")`);
    assert.equal(git(copy, 'status', '--porcelain'), before);
  });

  test(`the renamed app synthesises only ${TO.id}-* stacks, every pipeline target among them`, () => {
    assert.deepEqual(
      stacksOf(copy),
      [
        'Pipeline',
        'Production-Edge',
        'Production-Network',
        'Production-Service',
        'Registry',
        'Staging-Edge',
        'Staging-Network',
        'Staging-Service',
      ].map((stack) => `${TO.id}-${stack}`),
    );
    // The platform's suites run in the copy without the example (below); here, what a rename alone could break.
    const suites = run(copy, ['--test', 'test/identity.test.ts', 'test/infra/pipeline-app.test.ts']);
    assert.equal(suites.code, 0, suites.output.slice(-4000));
  });
});

suite('npm run rename -- <slug> --drop-example', () => {
  const copy = copyOfTheRepository();

  test('removes the example and its tests, and registers the starter route with its checks', () => {
    const renamed = rename(copy, TO.slug, '--drop-example');
    assert.equal(renamed.code, 0, renamed.output);
    for (const folder of ['src/example', 'test/example', 'bench']) {
      assert.ok(!existsSync(join(copy, folder)), folder);
      // Where the example was dropped already, there is nothing left to remove.
      assert.equal(new RegExp(`^ {2}removed {2}${folder}/$`, 'm').test(renamed.stdout), HAS_EXAMPLE, folder);
    }
    assert.match(readFileSync(join(copy, 'src/service.ts'), 'utf8'), /export const SERVICE_ROUTES = STARTER_ROUTES;/);
    const identity = readFileSync(join(copy, 'src/identity.ts'), 'utf8');
    assert.match(identity, /path: '\/hello\?name=world'/);
    assert.doesNotMatch(identity, /mirror_time/);
    const packageJson = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as {
      bin?: unknown;
      scripts: Record<string, string>;
    };
    assert.equal(packageJson.bin, undefined);
    assert.equal(packageJson.scripts.bench, undefined);
    assert.deepEqual(oldNames(copy), []);
    assert.equal(rename(copy, TO.slug, '--drop-example').stdout.trim().startsWith('nothing to change'), true);
  });

  test('what is left type-checks, builds, and passes the platform suites and the starter', () => {
    const typecheck = run(copy, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    assert.equal(typecheck.code, 0, typecheck.output);
    const build = run(copy, ['scripts/build.ts']);
    assert.equal(build.code, 0, build.output);
    const suites = run(copy, ['--test', '--test-concurrency=2', ...PLATFORM_SUITES, 'test/starter/starter.test.ts']);
    assert.equal(suites.code, 0, suites.output.slice(-4000));
  });
});
