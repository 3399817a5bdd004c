/**
 * Runs tag-deployed.sh, as the TagDeployed action does, against a stand-in `aws` over a folder that plays the ECR
 * repository: tags map to digests, digests to manifests, and an existing tag is refused, as in an IMMUTABLE repository.
 */
import { test, suite, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tagDeployedSpec } from '../../infra/lib/pipeline/tag-deployed.ts';
import { ROOT } from '../../tools/root.ts';
import { IDENTITY } from '../../src/identity.ts';

const DIGEST = 'sha256:4f1c0d0e5c7b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706';
const MANIFEST = JSON.stringify({ schemaVersion: 2, layers: ['a'] });

let workspace: string;
let ecr: string;
let calls: string;
before(() => {
  workspace = mkdtempSync(join(tmpdir(), 'tag-deployed-'));
  ecr = join(workspace, 'ecr.json');
  calls = join(workspace, 'calls.log');
  const aws = join(workspace, 'aws');
  writeFileSync(
    aws,
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
fs.appendFileSync(process.env.CALLS, args.slice(0, 2).join(' ') + '\\n');
const s = JSON.parse(fs.readFileSync(process.env.ECR, 'utf8'));
if (arg('--repository-name') !== '${IDENTITY.slug}') { console.error('RepositoryNotFoundException'); process.exit(254); }
if (args[1] === 'batch-get-image') {
  const digest = s.tags[arg('--image-ids').replace('imageTag=', '')];
  if (digest === undefined) { console.log('None'); process.exit(0); }
  const field = arg('--query').replace('images[0].', '');
  console.log({ imageManifest: s.manifests[digest], imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }[field]);
  process.exit(0);
}
if (args[1] === 'put-image') {
  const tag = arg('--image-tag');
  if (s.tags[tag] !== undefined) { console.error('ImageTagAlreadyExistsException: ' + tag); process.exit(254); }
  const digest = Object.keys(s.manifests).find((d) => s.manifests[d] === arg('--image-manifest'));
  if (digest === undefined || arg('--image-manifest-media-type') !== 'application/vnd.oci.image.manifest.v1+json') {
    console.error('InvalidParameterException'); process.exit(254);
  }
  s.tags[tag] = digest; fs.writeFileSync(process.env.ECR, JSON.stringify(s)); process.exit(0);
}
console.error('unexpected aws call'); process.exit(2);
`,
  );
  chmodSync(aws, 0o755);
});
after(() => rmSync(workspace, { recursive: true, force: true }));

/** The action's commands in bash, from the repository root, with the stand-in first on PATH. */
function tagDeployed(env: Record<string, string>) {
  writeFileSync(
    ecr,
    JSON.stringify({ tags: { '1.4.0-0a1b2c3': DIGEST, '1.4.0': DIGEST }, manifests: { [DIGEST]: MANIFEST } }),
  );
  writeFileSync(calls, '');
  const commands = (tagDeployedSpec().phases as { build: { commands: string[] } }).build.commands;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', ['set -e', ...commands].join('\n')], {
    cwd: ROOT,
    env: { PATH: [workspace, dirname(process.execPath), '/usr/bin', '/bin'].join(':'), ECR: ecr, CALLS: calls, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const state = JSON.parse(readFileSync(ecr, 'utf8')) as { tags: Record<string, string> };
  return { ...result, tags: state.tags, calls: readFileSync(calls, 'utf8').trimEnd().split('\n').filter(Boolean) };
}

const ENV = { REPOSITORY_NAME: IDENTITY.slug, IMAGE_TAG: '1.4.0-0a1b2c3', DEPLOY_ENVIRONMENT: 'staging' };

suite('TagDeployed: the deployed image gets a tag the lifecycle policy keeps', () => {
  test('adds deployed-<environment>-<UTC time> to the digest the deployed tag names, leaving the others', () => {
    const before = Date.now();
    const run = tagDeployed(ENV);
    assert.equal(run.status, 0, run.stderr);
    const added = Object.keys(run.tags).filter((tag) => tag.startsWith('deployed-'));
    assert.equal(added.length, 1);
    const match = /^deployed-staging-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(added[0]!);
    assert.ok(match, added[0]);
    const [, y, mo, d, h, mi, s] = match.map(Number);
    const stamped = Date.UTC(y!, mo! - 1, d, h, mi, s);
    assert.ok(stamped >= Math.floor(before / 1000) * 1000 - 1000 && stamped <= Date.now(), added[0]);
    assert.equal(run.tags[added[0]!], DIGEST);
    assert.equal(run.tags['1.4.0-0a1b2c3'], DIGEST);
    assert.equal(run.stdout.trim(), `tagged ${IDENTITY.slug}:1.4.0-0a1b2c3 as ${added[0]}`);
    assert.deepEqual(run.calls, ['ecr batch-get-image', 'ecr batch-get-image', 'ecr put-image']);
  });

  test('production gets its own prefix', () => {
    const run = tagDeployed({ ...ENV, DEPLOY_ENVIRONMENT: 'production' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(Object.keys(run.tags).filter((tag) => tag.startsWith('deployed-production-')).length, 1);
  });

  test('an image tag the repository does not hold fails, and tags nothing', () => {
    const run = tagDeployed({ ...ENV, IMAGE_TAG: '9.9.9-fffffff' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(String.raw`${IDENTITY.slug}:9\.9\.9-fffffff does not exist: nothing to tag`));
    assert.ok(!run.calls.includes('ecr put-image'));
  });

  test('without IMAGE_TAG, or with an environment name that is not one, it fails before calling AWS', () => {
    const missing = tagDeployed({ REPOSITORY_NAME: IDENTITY.slug, DEPLOY_ENVIRONMENT: 'staging' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /IMAGE_TAG is not set/);
    const bad = tagDeployed({ ...ENV, DEPLOY_ENVIRONMENT: 'Prod;rm' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /DEPLOY_ENVIRONMENT="Prod;rm" is not a lower-case environment name/);
    assert.deepEqual([...missing.calls, ...bad.calls], []);
  });
});
