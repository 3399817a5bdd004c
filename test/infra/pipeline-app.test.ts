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
import { IDENTITY } from '../../src/identity.ts';
import { sharedStackName } from '../../infra/lib/names.ts';

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
  test(`with -c connectionArn and -c githubOwner, ${IDENTITY.id}-Pipeline joins the app, cdk-nag clean`, () => {
    const run = synth({ connectionArn: CONNECTION_ARN, githubOwner: 'octo-org', requireApproval: 'false' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stacks().includes(`${IDENTITY.id}-Pipeline`), run.stacks().join());
    const resources = Object.values(run.template(`${IDENTITY.id}-Pipeline`).Resources);
    const pipeline = resources.find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline')!.Properties;
    const stages = pipeline.Stages as { Name: string; Actions: { Configuration: Record<string, unknown> }[] }[];
    assert.deepEqual(stages[0]!.Actions[0]!.Configuration, {
      ConnectionArn: CONNECTION_ARN,
      FullRepositoryId: `octo-org/${IDENTITY.slug}`,
      BranchName: 'main',
      DetectChanges: true,
    });
    assert.ok(!stages.some((stage) => stage.Name.startsWith('Approve')));
    // The self-update passes the same context, so it rebuilds this stack as it was made.
    const buildSpecs = resources
      .filter((resource) => resource.Type === 'AWS::CodeBuild::Project')
      .map((resource) => JSON.stringify((resource.Properties.Source as { BuildSpec: unknown }).BuildSpec));
    assert.ok(
      buildSpecs.some((spec) =>
        spec.includes(
          `npx cdk deploy ${IDENTITY.id}-Pipeline --exclusively -c connectionArn=${CONNECTION_ARN} -c githubOwner=octo-org -c requireApproval=false `,
        ),
      ),
    );
  });

  test('every stack a cdk command of the pipeline names is a stack of the app, and each is deployed by one step', () => {
    const run = synth({ connectionArn: CONNECTION_ARN, githubOwner: 'octo-org' });
    assert.equal(run.status, 0, run.stderr);
    const stacks = run.stacks();
    const commands = Object.values(run.template(sharedStackName('Pipeline')).Resources)
      .filter((resource) => resource.Type === 'AWS::CodeBuild::Project')
      .flatMap((resource) => {
        // A buildspec that holds a token (a report group's ARN) is an Fn::Join of strings and that token.
        const source = (resource.Properties.Source as { BuildSpec: string | { 'Fn::Join': [string, unknown[]] } })
          .BuildSpec;
        const text =
          typeof source === 'string'
            ? source
            : source['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
        const spec = JSON.parse(text) as { phases: Record<string, { commands: string[] }> };
        return Object.values(spec.phases).flatMap((phase) => phase.commands);
      });
    /** The stack names or patterns a command names: its words after the command, up to the first option. */
    const targets = (command: string, prefix: RegExp): string[] => {
      const match = prefix.exec(command);
      if (match === null) return [];
      const words = command.slice(match[0].length).trim().split(/\s+/);
      const end = words.findIndex((word) => word.startsWith('-'));
      return words.slice(0, end === -1 ? undefined : end).map((word) => word.replace(/^'|'$/g, ''));
    };
    const matching = (pattern: string) =>
      stacks.filter((stack) =>
        new RegExp(
          `^${pattern
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ).test(stack),
      );
    const deployed = commands.flatMap((command) => targets(command, /^npx cdk deploy /));
    const drifted = commands.flatMap((command) =>
      targets(command, /^(npx cdk drift|bash infra\/lib\/pipeline\/drift-check\.sh) /),
    );
    assert.ok(deployed.length > 0 && drifted.length > 0, commands.join('\n'));
    for (const pattern of [...deployed, ...drifted]) {
      assert.notDeepEqual(matching(pattern), [], `${pattern} matches no stack of the app: ${stacks.join(', ')}`);
    }
    // Each stack of the app is deployed by exactly one step, and drift-checked before, but the pipeline itself.
    assert.deepEqual(deployed.flatMap(matching).sort(), [...stacks].sort());
    assert.deepEqual(
      drifted.flatMap(matching).sort(),
      stacks.filter((stack) => stack !== sharedStackName('Pipeline')).sort(),
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
