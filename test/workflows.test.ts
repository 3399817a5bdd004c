/**
 * The GitHub workflows cannot run here: they are checked against the workflow schema with
 * action-validator, and their key steps are asserted, so that CI keeps doing what .ci/run does.
 */
import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { NODE_BUILD_IMAGE } from '../infra/lib/pipeline-stack.ts';
import { ROOT } from '../tools/root.ts';

const WORKFLOWS = join(ROOT, '.github', 'workflows');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
  readonly if?: string;
}

interface Job {
  readonly 'runs-on': string;
  readonly container?: string;
  readonly env?: Record<string, string>;
  readonly 'timeout-minutes'?: number;
  readonly steps: readonly Step[];
}

interface Workflow {
  readonly on: Partial<Record<string, { branches?: string[]; types?: string[] } | null>>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflow = (file: string) => parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow;
const onlyJob = (file: string) => {
  const jobs = Object.values(workflow(file).jobs);
  assert.equal(jobs.length, 1, `${file} has one job`);
  return jobs[0]!;
};

suite('every workflow is valid', () => {
  const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));

  test('there are the CI, release and pull-request-title workflows', () => {
    assert.deepEqual(files.sort(), ['ci.yml', 'pr-title.yml', 'release.yml']);
  });

  for (const file of files) {
    test(`${file} passes the workflow schema (action-validator)`, () => {
      const { actionType, errors } = validateWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8'));
      assert.equal(actionType, 'workflow');
      assert.deepEqual(errors, []);
    });

    test(`${file} grants the token least privilege and bounds every job in time`, () => {
      const { permissions, jobs } = workflow(file);
      assert.ok(permissions, `${file} sets permissions`);
      assert.ok(!Object.values(permissions).includes('write-all'));
      for (const [name, job] of Object.entries(jobs)) {
        assert.ok(job['timeout-minutes'] !== undefined && job['timeout-minutes'] <= 30, `${file} ${name}`);
      }
    });
  }

  test('every action is pinned to a major that runs on Node.js 24', () => {
    // The first major of each whose action.yml says `runs.using: node24`; Node.js 20 actions are deprecated.
    const node24: Record<string, number> = {
      'actions/checkout': 5,
      'actions/setup-node': 5,
      'actions/upload-artifact': 6,
      'googleapis/release-please-action': 5,
      'amannn/action-semantic-pull-request': 6,
    };
    const uses = files.flatMap((file) =>
      Object.values(workflow(file).jobs).flatMap((job) => job.steps.flatMap((step) => step.uses ?? [])),
    );
    assert.ok(uses.length >= 5);
    for (const use of uses) {
      const [, action, major] = /^([\w.-]+\/[\w.-]+)@v(\d+)$/.exec(use) ?? [];
      assert.ok(action !== undefined && node24[action] !== undefined, `${use}: a known action at a major tag`);
      assert.ok(Number(major) >= node24[action], `${use} runs on Node.js 20; use v${node24[action]}`);
    }
  });

  test('the validator does reject a broken workflow, so a pass means something', () => {
    const broken = read('.github/workflows/ci.yml').replace('runs-on:', 'run-on:');
    const { errors } = validateWorkflow(broken);
    assert.ok(errors.length > 0);
    assert.match(JSON.stringify(errors), /runs-on/);
  });
});

suite('ci.yml', () => {
  const ci = workflow('ci.yml');
  const job = ci.jobs.check!;
  const runs = job.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));

  test('runs on every pull request and on pushes to main', () => {
    assert.deepEqual(Object.keys(ci.on).sort(), ['pull_request', 'push']);
    assert.deepEqual(ci.on.push?.branches, ['main']);
    assert.equal(ci.permissions.contents, 'read');
  });

  test('on Node 24 with the npm cache, in the Debian image the pipeline builds in', () => {
    const setupNode = job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    assert.deepEqual(setupNode?.with, { 'node-version': 24, cache: 'npm' });
    assert.equal(job.container, NODE_BUILD_IMAGE);
    assert.ok(job.steps[0]!.uses?.startsWith('actions/checkout@'));
  });

  test('runs the npm steps of .ci/run, in the same order, after installing Debian Chromium, keeping the reports', () => {
    const lines = read('.ci/run')
      .split('\n')
      .map((line) => line.trim());
    const ciRun = lines.filter((line) => line.startsWith('npm '));
    // .ci/run runs the README's test command; the workflow runs the same suites and keeps their reports.
    assert.deepEqual(ciRun, ['npm ci --no-audit --no-fund', 'npm run lint', 'npm run typecheck', 'npm test']);
    const npmSteps = runs.filter((run) => run.startsWith('npm '));
    assert.deepEqual(npmSteps.slice(0, ciRun.length), [...ciRun.slice(0, -1), 'npm run test:ci']);
    const chromium = runs.findIndex((run) => /apt-get install .*\bchromium\b/.test(run));
    assert.ok(chromium >= 0 && chromium < runs.indexOf('npm run test:ci'));
  });

  test('a missing browser, haproxy, container engine or arm64 emulation fails the tests instead of skipping them, in .ci/run', () => {
    const exported = read('.ci/run')
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .flatMap((line) => line.slice('export '.length).split(' '));
    assert.deepEqual(exported, [
      'REQUIRE_BROWSER=1',
      'REQUIRE_HAPROXY=1',
      'REQUIRE_CONTAINER_ENGINE=1',
      'REQUIRE_ARM64_EMULATION=1',
    ]);
  });

  test('a missing browser or haproxy fails the tests in the workflow; the image job runs the container suite', () => {
    const testStep = job.steps.find((step) => step.run === 'npm run test:ci');
    assert.deepEqual(testStep?.env, { REQUIRE_BROWSER: 1, REQUIRE_HAPROXY: 1 });
    assert.ok(runs.some((run) => /apt-get install .*\bchromium haproxy\b/.test(run)));
  });

  test('then synthesises the CDK app, where cdk-nag runs', () => {
    assert.equal(runs.at(-1), 'npm run synth -- --quiet');
    assert.match(JSON.parse(read('package.json')).scripts.synth as string, /^cdk synth\b/);
  });

  test('keeps the JUnit and coverage reports, even when the tests fail', () => {
    const upload = job.steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    assert.ok(upload !== undefined);
    assert.equal(upload.with?.path, 'reports/');
    assert.equal(upload.if, '${{ !cancelled() }}');
  });
});

suite('ci.yml, the image job', () => {
  const ci = workflow('ci.yml');

  test('has the check job and the image job', () => {
    assert.deepEqual(Object.keys(ci.jobs), ['check', 'image']);
  });

  test("builds the image with the runner's Docker and runs the container suite, arm64 too, which may not skip", () => {
    const image = ci.jobs.image!;
    // On the runner itself: a job container has no Docker daemon.
    assert.equal(image.container, undefined);
    assert.match(image['runs-on'], /^ubuntu-/);
    assert.deepEqual(image.env, {
      CONTAINER_ENGINE: 'docker',
      REQUIRE_CONTAINER_ENGINE: '1',
      REQUIRE_ARM64_EMULATION: '1',
    });
    const runs = image.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));
    assert.equal(runs.length, 3);
    // Ubuntu's qemu-user-static registers itself with binfmt_misc, with the F flag the containers need.
    assert.match(runs[0]!, /^sudo apt-get update -qq && .*apt-get install .*\bqemu-user-static\b/);
    assert.deepEqual(runs.slice(1), ['npm ci --no-audit --no-fund', 'npm run test:container']);
    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['test:container'];
    assert.equal(script, 'npm test -- "test/container/*.test.ts"');
    const setupNode = image.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    assert.deepEqual(setupNode?.with, { 'node-version': 24, cache: 'npm' });
  });
});

suite('releases', () => {
  const config = JSON.parse(read('release-please-config.json')) as {
    'release-type': string;
    'bootstrap-sha': string;
    'bump-minor-pre-major': boolean;
    packages: Record<string, { 'package-name'?: string; 'changelog-path': string }>;
  };
  const manifest = JSON.parse(read('.release-please-manifest.json')) as Record<string, string>;
  const packageJson = JSON.parse(read('package.json')) as { name: string; version: string };

  test('release.yml runs release-please on pushes to main, with the repository config and manifest', () => {
    const release = workflow('release.yml');
    assert.deepEqual(release.on, { push: { branches: ['main'] } });
    assert.deepEqual(release.permissions, { contents: 'write', 'pull-requests': 'write' });
    const [step] = onlyJob('release.yml').steps;
    assert.match(step!.uses ?? '', /^googleapis\/release-please-action@v\d+$/);
    const files = step!.with as { 'config-file': string; 'manifest-file': string };
    assert.deepEqual(files, {
      'config-file': 'release-please-config.json',
      'manifest-file': '.release-please-manifest.json',
    });
    for (const file of Object.values(files)) assert.ok(existsSync(join(ROOT, file)), file);
  });

  test('release-please versions package.json (the image tag) and writes CHANGELOG.md', () => {
    assert.equal(config['release-type'], 'node');
    // No package-name: the node release type reads it from package.json, so a rename has one place fewer to miss.
    assert.deepEqual(config.packages, { '.': { 'changelog-path': 'CHANGELOG.md' } });
    assert.deepEqual(manifest, { '.': packageJson.version });
  });

  test('counts commits from the first Conventional Commit on, and bumps the minor version for a breaking change before 1.0', () => {
    // The commit before the first Conventional Commit (docs/decisions/releases.md): older subjects such as
    // "README: …" would otherwise parse as commits of type README.
    assert.equal(config['bootstrap-sha'], 'bb083a84ea015b0659792140118b99f3840a701f');
    assert.equal(config['bump-minor-pre-major'], true);
  });

  test('pull request titles are checked as conventional commits, which squash merges put on main', () => {
    const titles = workflow('pr-title.yml');
    assert.deepEqual(Object.keys(titles.on), ['pull_request']);
    assert.match(onlyJob('pr-title.yml').steps[0]!.uses ?? '', /^amannn\/action-semantic-pull-request@v\d+$/);
  });
});
