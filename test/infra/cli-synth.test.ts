import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { ROOT } from '../../tools/root.ts';
import { IDENTITY } from '../../src/identity.ts';

const SAMPLE_SERVICES = [
  `${IDENTITY.id}-Staging-Service`,
  `${IDENTITY.id}-Production-Service`,
  `${IDENTITY.id}-Production-EuCentral1-Service`,
];

const STACKS = [
  `${IDENTITY.id}-Registry`,
  `${IDENTITY.id}-Staging-Edge`,
  `${IDENTITY.id}-Staging-Network`,
  `${IDENTITY.id}-Staging-Service`,
  `${IDENTITY.id}-Production-Edge`,
  `${IDENTITY.id}-Production-Network`,
  `${IDENTITY.id}-Production-Service`,
];

interface Synth {
  readonly code: number | null;
  readonly output: string;
  readonly outdir: string;
}

/**
 * `cdk synth` through the CLI, as a user runs it: cdk.json's `node infra/bin/app.ts`, on a machine with no
 * AWS credentials or configuration and with no network lookups allowed.
 */
async function cdkSynth(...args: string[]): Promise<Synth> {
  const outdir = mkdtempSync(join(tmpdir(), `${IDENTITY.slug}-synth-`));
  const env: NodeJS.ProcessEnv = {
    // cdk.json runs `node`: the Node.js 24 that runs this test, as npm scripts would provide it.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: outdir,
    AWS_CONFIG_FILE: join(outdir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(outdir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CI: 'true',
  };
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--output', outdir, ...args],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output, outdir };
}

type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
};
const template = (synth: Synth, stack: string) =>
  JSON.parse(readFileSync(join(synth.outdir, `${stack}.template.json`), 'utf8')) as Template;
const container = (synth: Synth, stack: string) => {
  const definition = Object.values(template(synth, stack).Resources).find(
    (r) => r.Type === 'AWS::ECS::TaskDefinition',
  )!;
  return (definition.Properties.ContainerDefinitions as { Image: unknown; DockerLabels: Record<string, string> }[])[0]!;
};
const image = (synth: Synth, stack: string) => JSON.stringify(container(synth, stack).Image);
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

suite('cdk synth, through the CLI, offline and without credentials', { timeout: 180_000 }, () => {
  let plain: Synth;
  let tagged: Synth;
  let sample: Synth;
  let withoutTools: Synth;
  // The sample: staging and production in accounts of their own, production in two waves, with the pipeline.
  const sampleArgs = [
    ['connectionArn', 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123'],
    ['githubOwner', 'octo-org'],
    ['stagingAccount', '111111111111'],
    ['productionAccount', '222222222222'],
    ['productionRegions', 'eu-west-1,eu-central-1'],
  ].flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  before(async () => {
    [plain, tagged, sample, withoutTools] = await Promise.all([
      cdkSynth(),
      cdkSynth('--quiet', '-c', 'imageTag=1.4.0-0a1b2c3'),
      // As the pipeline deploys: Build's tag and digest.
      cdkSynth(
        '--quiet',
        ...sampleArgs,
        '-c',
        'toolsAccount=333333333333',
        '-c',
        'imageTag=1.4.0-0a1b2c3',
        '-c',
        `imageDigest=${DIGEST}`,
      ),
      cdkSynth('--quiet', ...sampleArgs),
    ]);
  });
  after(() => {
    for (const synth of [plain, tagged, sample, withoutTools]) rmSync(synth.outdir, { recursive: true, force: true });
  });

  test('succeeds and lists the stacks', () => {
    assert.equal(plain.code, 0, plain.output);
    assert.match(plain.output, /Successfully synthesized/);
    assert.ok(plain.output.includes(`Supply a stack id (${STACKS.join(', ')})`), plain.output);
  });

  test('seven stacks, the edge ones in us-east-1, for whichever account deploys them, with no lookup', () => {
    const manifest = JSON.parse(readFileSync(join(plain.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
      missing?: unknown[];
    };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    assert.deepEqual(stacks.map(([name]) => name).sort(), [...STACKS].sort());
    for (const [name, artifact] of stacks) {
      const region = name.endsWith('-Edge') ? 'us-east-1' : 'eu-west-1';
      assert.equal(artifact.environment, `aws://unknown-account/${region}`, name);
    }
    assert.equal(manifest.missing, undefined, 'context lookups would need credentials');
  });

  test('each service stack outputs its URL, cluster name and service name', () => {
    for (const stack of [`${IDENTITY.id}-Staging-Service`, `${IDENTITY.id}-Production-Service`]) {
      const outputs = Object.keys(template(plain, stack).Outputs ?? {});
      for (const name of ['ServiceUrl', 'ClusterName', 'ServiceName'])
        assert.ok(outputs.includes(name), `${stack}: ${name}`);
    }
  });

  test("without -c imageTag, both environments run package.json's version", () => {
    for (const stack of [`${IDENTITY.id}-Staging-Service`, `${IDENTITY.id}-Production-Service`]) {
      assert.ok(image(plain, stack).endsWith(`:${packageJson.version}"]]}`), image(plain, stack));
    }
  });

  test('-c imageTag sets the tag both environments run', () => {
    assert.equal(tagged.code, 0, tagged.output);
    for (const stack of [`${IDENTITY.id}-Staging-Service`, `${IDENTITY.id}-Production-Service`]) {
      assert.ok(image(tagged, stack).endsWith(':1.4.0-0a1b2c3"]]}'), image(tagged, stack));
    }
  });

  test('the multi-account sample synthesises, every check passing, each stack in its account and region', () => {
    assert.equal(sample.code, 0, sample.output);
    const manifest = JSON.parse(readFileSync(join(sample.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const placed = Object.fromEntries(
      Object.entries(manifest.artifacts)
        .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
        .map(([name, artifact]) => [name, artifact.environment]),
    );
    assert.deepEqual(placed, {
      [`${IDENTITY.id}-Registry`]: 'aws://333333333333/eu-west-1',
      [`${IDENTITY.id}-Pipeline`]: 'aws://333333333333/eu-west-1',
      [`${IDENTITY.id}-Staging-Edge`]: 'aws://111111111111/us-east-1',
      [`${IDENTITY.id}-Staging-Network`]: 'aws://111111111111/eu-west-1',
      [`${IDENTITY.id}-Staging-Service`]: 'aws://111111111111/eu-west-1',
      [`${IDENTITY.id}-Production-Edge`]: 'aws://222222222222/us-east-1',
      [`${IDENTITY.id}-Production-Network`]: 'aws://222222222222/eu-west-1',
      [`${IDENTITY.id}-Production-Service`]: 'aws://222222222222/eu-west-1',
      [`${IDENTITY.id}-Production-EuCentral1-Edge`]: 'aws://222222222222/us-east-1',
      [`${IDENTITY.id}-Production-EuCentral1-Network`]: 'aws://222222222222/eu-central-1',
      [`${IDENTITY.id}-Production-EuCentral1-Service`]: 'aws://222222222222/eu-central-1',
    });
  });

  test('-c imageDigest names every task image, in every account and region, by that digest; the tag is a label', () => {
    for (const stack of SAMPLE_SERVICES) {
      const named = image(sample, stack);
      assert.ok(named.endsWith(`@${DIGEST}"]]}`), `${stack}: ${named}`);
      assert.doesNotMatch(named, /:1\.4\.0-0a1b2c3/);
      assert.equal(container(sample, stack).DockerLabels[`${IDENTITY.slug}.image-tag`], '1.4.0-0a1b2c3');
    }
  });

  test('without -c imageDigest, the task names the image by its tag (a local synth), and labels it too', () => {
    const stack = `${IDENTITY.id}-Staging-Service`;
    assert.doesNotMatch(image(tagged, stack), /@sha256:/);
    assert.equal(container(tagged, stack).DockerLabels[`${IDENTITY.slug}.image-tag`], '1.4.0-0a1b2c3');
  });

  test('offline, without -c toolsAccount, the sample stops and asks for the tools account', () => {
    assert.notEqual(withoutTools.code, 0);
    assert.match(
      withoutTools.output,
      /expected -c toolsAccount=<12 digits>, or synth with credentials of that account/,
    );
  });
});
