/**
 * infra/bin/app.ts, run the way the CDK CLI runs it (CDK_CONTEXT_JSON, CDK_OUTDIR): the
 * pipeline stack appears only with -c connectionArn, and carries the context it was made with.
 */
import { test, suite, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { ROOT } from '../../tools/root.ts';

const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123';
const outdirs: string[] = [];
after(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

function synth(context: Record<string, string>) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-app-'));
  outdirs.push(outdir);
  const result = spawnSync(process.execPath, ['infra/bin/app.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context }),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const stacks = (): string[] =>
    Object.entries(
      (
        JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
          artifacts: Record<string, { type: string }>;
        }
      ).artifacts,
    )
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([id]) => id);
  const template = (stack: string) =>
    JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
  return { ...result, stacks, template };
}

suite('the app and the pipeline stack', () => {
  test('with -c connectionArn and -c githubOwner, ClockMirror-Pipeline joins the app, cdk-nag clean', () => {
    const run = synth({ connectionArn: CONNECTION_ARN, githubOwner: 'octo-org', requireApproval: 'false' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stacks().includes('ClockMirror-Pipeline'), run.stacks().join());
    const resources = Object.values(run.template('ClockMirror-Pipeline').Resources);
    const pipeline = resources.find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline')!.Properties;
    const stages = pipeline.Stages as { Name: string; Actions: { Configuration: Record<string, unknown> }[] }[];
    assert.deepEqual(stages[0]!.Actions[0]!.Configuration, {
      ConnectionArn: CONNECTION_ARN,
      FullRepositoryId: 'octo-org/clock-mirror',
      BranchName: 'main',
      DetectChanges: true,
    });
    assert.ok(!stages.some((stage) => stage.Name === 'Approve'));
    // The self-update passes the same context, so it rebuilds this stack as it was made.
    const buildSpecs = resources
      .filter((resource) => resource.Type === 'AWS::CodeBuild::Project')
      .map((resource) => JSON.stringify((resource.Properties.Source as { BuildSpec: unknown }).BuildSpec));
    assert.ok(
      buildSpecs.some((spec) =>
        spec.includes(
          `npx cdk deploy ClockMirror-Pipeline --exclusively -c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org -c requireApproval=false `,
        ),
      ),
    );
  });

  test('without -c connectionArn there is no pipeline stack', () => {
    const run = synth({});
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      run.stacks().filter((stack) => stack.includes('Pipeline')),
      [],
    );
  });

  test('-c connectionArn without -c githubOwner stops with a message naming what is missing', () => {
    const run = synth({ connectionArn: CONNECTION_ARN });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /-c connectionArn needs -c githubOwner=/);
  });
});
