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
  readonly permissions?: Record<string, string>;
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

/** The only write scopes any job holds, each with why. */
const WRITES: Record<string, string> = {
  'release.yml release-please contents': 'commits the changelog and tags the release',
  'release.yml release-please pull-requests': 'opens the release pull request',
  'codeql.yml analyze security-events': 'uploads the findings to code scanning',
};

const workflow = (file: string) => parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow;
const onlyJob = (file: string) => {
  const jobs = Object.values(workflow(file).jobs);
  assert.equal(jobs.length, 1, `${file} has one job`);
  return jobs[0]!;
};

suite('every workflow is valid', () => {
  const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));

  test('there are the CI, CodeQL, release and pull-request-title workflows', () => {
    assert.deepEqual(files.sort(), ['ci.yml', 'codeql.yml', 'pr-title.yml', 'release.yml']);
  });

  for (const file of files) {
    test(`${file} passes the workflow schema (action-validator)`, () => {
      const { actionType, errors } = validateWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8'));
      assert.equal(actionType, 'workflow');
      assert.deepEqual(errors, []);
    });

    test(`${file} grants the token nothing by default, each job only what it uses, and bounds every job in time`, () => {
      const { permissions, jobs } = workflow(file);
      assert.deepEqual(permissions, {}, `${file}: permissions: {} at the top`);
      for (const [name, job] of Object.entries(jobs)) {
        assert.ok(job.permissions !== undefined, `${file} ${name} sets its own permissions`);
        for (const [scope, level] of Object.entries(job.permissions)) {
          assert.ok(
            ['read', 'none'].includes(level) || WRITES[`${file} ${name} ${scope}`] !== undefined,
            `${file} ${name}: ${scope}: ${level}`,
          );
        }
        assert.ok(job['timeout-minutes'] !== undefined && job['timeout-minutes'] <= 30, `${file} ${name}`);
        // A fixed runner image: ubuntu-latest moves to a new release under the workflow.
        assert.match(job['runs-on'], /^ubuntu-\d\d\.\d\d$/, `${file} ${name}`);
      }
    });
  }

  test('every action is pinned to a full commit SHA, its release in a comment, of a major that runs on Node.js 24', () => {
    // The first major of each whose action.yml says `runs.using: node24`; Node.js 20 actions are deprecated.
    const node24: Record<string, number> = {
      'actions/checkout': 5,
      'actions/setup-node': 5,
      'actions/upload-artifact': 6,
      'googleapis/release-please-action': 5,
      'amannn/action-semantic-pull-request': 6,
      'github/codeql-action': 4,
    };
    // The raw lines: the parsed YAML drops the comment that names the release.
    const uses = files.flatMap((file) =>
      readFileSync(join(WORKFLOWS, file), 'utf8')
        .split('\n')
        .filter((line) => /^\s*(- )?uses: /.test(line))
        .map((line) => line.replace(/^\s*(- )?uses: /, '')),
    );
    assert.equal(uses.length, 10);
    for (const use of uses) {
      // A tag can be moved to other code; a commit cannot. Dependabot bumps the SHA and the comment together.
      const [, action, , major] = /^([\w.-]+\/[\w.-]+)(\/[\w-]+)?@[0-9a-f]{40} # v(\d+)\.\d+\.\d+$/.exec(use) ?? [];
      assert.ok(action !== undefined, `${use}: owner/name@<40 hex> # vX.Y.Z`);
      assert.ok(node24[action] !== undefined, `${use}: a known action`);
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
    assert.deepEqual(job.permissions, { contents: 'read' });
  });

  test('on Node 24 with the npm cache, in the Debian image the pipeline builds in', () => {
    const setupNode = job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    assert.deepEqual(setupNode?.with, { 'node-version': 24, cache: 'npm' });
    assert.equal(job.container, NODE_BUILD_IMAGE);
    // A fixed release, the one development runs, not a tag that moves to the next Node.js 24.
    const { version } = JSON.parse(read('node_modules/node/package.json')) as { version: string };
    assert.equal(NODE_BUILD_IMAGE, `public.ecr.aws/docker/library/node:${version}-bookworm`);
    assert.ok(job.steps[0]!.uses?.startsWith('actions/checkout@'));
  });

  test('runs the npm steps of .ci/run, in the same order, after installing Debian Chromium, keeping the reports', () => {
    const lines = read('.ci/run')
      .split('\n')
      .map((line) => line.trim());
    const ciRun = lines.filter((line) => line.startsWith('npm '));
    // .ci/run runs the README's test command; the workflow runs the same suites and keeps their reports.
    assert.deepEqual(ciRun, [
      'npm ci --no-audit --no-fund',
      'npm run scan',
      'npm run lint',
      'npm run typecheck',
      'npm run audit',
      'npm test',
    ]);
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
    assert.deepEqual(onlyJob('release.yml').permissions, { contents: 'write', 'pull-requests': 'write' });
    const [step] = onlyJob('release.yml').steps;
    assert.match(step!.uses ?? '', /^googleapis\/release-please-action@[0-9a-f]{40}$/);
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
    assert.match(onlyJob('pr-title.yml').steps[0]!.uses ?? '', /^amannn\/action-semantic-pull-request@[0-9a-f]{40}$/);
  });
});

suite('codeql.yml: SAST on GitHub', () => {
  const codeql = workflow('codeql.yml');

  test('analyses the TypeScript and the workflows themselves, on pull requests, main and weekly', () => {
    assert.deepEqual(Object.keys(codeql.on).sort(), ['pull_request', 'push', 'schedule']);
    const job = onlyJob('codeql.yml') as Job & { strategy: { matrix: { language: string[] } } };
    assert.deepEqual(job.strategy.matrix.language, ['javascript-typescript', 'actions']);
    const init = job.steps.find((step) => step.uses?.startsWith('github/codeql-action/init@'));
    assert.deepEqual(init?.with, {
      languages: '${{ matrix.language }}',
      'build-mode': 'none',
      queries: 'security-extended',
    });
    assert.ok(job.steps.some((step) => step.uses?.startsWith('github/codeql-action/analyze@')));
  });
});

suite('dependabot.yml', () => {
  const config = parse(read('.github/dependabot.yml')) as {
    version: number;
    updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string }; groups?: object }[];
  };

  test('keeps the actions, the npm packages and the images current, weekly, one grouped pull request at a time', () => {
    assert.equal(config.version, 2);
    assert.deepEqual(config.updates.map((update) => update['package-ecosystem']).sort(), [
      'docker',
      'github-actions',
      'npm',
    ]);
    for (const update of config.updates) {
      assert.equal(update.directory, '/');
      assert.equal(update.schedule.interval, 'weekly', update['package-ecosystem']);
      assert.ok(Object.keys(update.groups ?? {}).length > 0, `${update['package-ecosystem']} is grouped`);
    }
  });
});

suite('repository basics', () => {
  test('CODEOWNERS names an owner for infra/, .github/, the Dockerfile and the pipeline scripts', () => {
    const owned = read('.github/CODEOWNERS')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.split(/\s+/))
      .filter((words) => words.length >= 2 && words.slice(1).every((owner) => owner.startsWith('@')))
      .map(([path]) => path);
    for (const path of ['/infra/', '/.github/', '/Dockerfile', '/.ci/']) assert.ok(owned.includes(path), path);
  });

  test('SECURITY.md says how to report a vulnerability and which versions are supported', () => {
    const policy = read('SECURITY.md');
    assert.match(policy, /^## Reporting a vulnerability$/m);
    assert.match(policy, /^## Supported versions$/m);
  });
});
