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
import { environmentStackName, promotionCheckRoleName, sharedStackName } from '../../infra/lib/names.ts';
import { SAMPLE_CONTEXT } from './helpers.ts';

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
  /** Each stack's account (undefined: the credentials') and region, from the cloud assembly's manifest. */
  const places = () =>
    new Map(
      Object.entries(
        (
          JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
            artifacts: Record<string, { type: string; environment?: string }>;
          }
        ).artifacts,
      )
        .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
        .map(([id, artifact]) => {
          const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
          return [id, { account: account === 'unknown-account' ? undefined : account, region: region! }] as const;
        }),
    );
  const template = (stack: string) =>
    JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
  return { ...result, stacks, places, template };
}

type Synth = ReturnType<typeof synth>;
const DRIFT_CHECK = /^(npx cdk drift|bash infra\/lib\/pipeline\/drift-check\.sh) /;

/** A bootstrap role's ARN as the test writes it; the pipeline's own account, when not named, is ACCOUNT. */
const bootstrapRole = (role: string, account: string | undefined, region: string) =>
  `arn:aws:iam::${account ?? 'ACCOUNT'}:role/cdk-hnb659fds-${role}-role-${account ?? 'ACCOUNT'}-${region}`;

/** A policy's resource as text: the account's Ref becomes ACCOUNT, the partition's aws. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: string }).Ref;
  if (ref === 'AWS::AccountId') return 'ACCOUNT';
  if (ref === 'AWS::Partition') return 'aws';
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map(text).join(join[0]);
  return JSON.stringify(value);
}

/** Every CodeBuild project of the pipeline: its commands, and the roles its own role may assume. */
function pipelineProjects(run: Synth) {
  const resources = run.template(sharedStackName('Pipeline')).Resources;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::CodeBuild::Project')
    .map(([id, resource]) => {
      // A buildspec that holds a token (a report group's ARN) is an Fn::Join of strings and that token.
      const source = (resource.Properties.Source as { BuildSpec: string | { 'Fn::Join': [string, unknown[]] } })
        .BuildSpec;
      const spec = JSON.parse(
        typeof source === 'string'
          ? source
          : source['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''),
      ) as { phases: Record<string, { commands?: string[] }> };
      const role = (resource.Properties.ServiceRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const assumable = Object.values(resources)
        .filter((policy) => policy.Type === 'AWS::IAM::Policy')
        .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some(({ Ref }) => Ref === role))
        .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
        .filter(({ Effect, Action }) => Effect === 'Allow' && [Action].flat().includes('sts:AssumeRole'))
        .flatMap(({ Resource }) => [Resource].flat().map(text));
      return {
        // CDK's logical id: the construct id and a hash.
        id: id.replace(/[0-9A-F]{8}$/, ''),
        commands: Object.values(spec.phases).flatMap((phase) => phase.commands ?? []),
        assumable: [...new Set(assumable)],
      };
    });
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The stack names or patterns a command names: its words after the command, up to the first option. */
function targets(command: string, prefix: RegExp): string[] {
  const match = prefix.exec(command);
  if (match === null) return [];
  const words = command.slice(match[0].length).trim().split(/\s+/);
  const end = words.findIndex((word) => word.startsWith('-'));
  return words.slice(0, end === -1 ? undefined : end).map((word) => word.replace(/^'|'$/g, ''));
}

function matching(stacks: readonly string[], pattern: string): string[] {
  const expression = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return stacks.filter((stack) => new RegExp(`^${expression}$`).test(stack));
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

  for (const [config, context] of [
    ['the one-account default', {}],
    ['the multi-account sample', SAMPLE_CONTEXT],
  ] as const) {
    suite(config, () => {
      const run = synth({ connectionArn: CONNECTION_ARN, githubOwner: 'octo-org', ...context });
      const projects = run.status === 0 ? pipelineProjects(run) : [];

      test('synthesises, every check passing', () => {
        assert.equal(run.status, 0, run.stderr);
      });

      test('every stack a cdk command of the pipeline names is a stack of the app, and each is deployed by one step', () => {
        const stacks = run.stacks();
        const commands = projects.flatMap((project) => project.commands);
        const deployed = commands.flatMap((command) => targets(command, /^npx cdk deploy /));
        const drifted = commands.flatMap((command) => targets(command, DRIFT_CHECK));
        assert.ok(deployed.length > 0 && drifted.length > 0, commands.join('\n'));
        for (const pattern of [...deployed, ...drifted]) {
          assert.notDeepEqual(
            matching(stacks, pattern),
            [],
            `${pattern} matches no stack of the app: ${stacks.join(', ')}`,
          );
        }
        // Each stack of the app is deployed by exactly one step, and drift-checked before, but the pipeline itself.
        assert.deepEqual(deployed.flatMap((pattern) => matching(stacks, pattern)).sort(), [...stacks].sort());
        assert.deepEqual(
          drifted.flatMap((pattern) => matching(stacks, pattern)).sort(),
          stacks.filter((stack) => stack !== sharedStackName('Pipeline')).sort(),
        );
      });

      test('the stages come from the environments and their waves', () => {
        const resources = Object.values(run.template(sharedStackName('Pipeline')).Resources);
        const pipeline = resources.find((resource) => resource.Type === 'AWS::CodePipeline::Pipeline')!.Properties;
        const stages = (pipeline.Stages as { Name: string; Actions: { Name: string; RunOrder: number }[] }[]).map(
          ({ Name, Actions }) => `${Name}: ${Actions.map((action) => `${action.Name}@${action.RunOrder}`).join(' ')}`,
        );
        const build = [
          'Source: GitHub@1',
          'Test: StaticAnalysis@1 UnitTest@1',
          'UpdatePipeline: SelfMutate@1 Registry@2',
          'Build: Image@1',
          // Each unit's edge stack in us-east-1 beside the signature check: its service stack reads the web ACL from it.
          'Deploy-Staging: VerifySignature@1 Deploy-Edge@1 Deploy@2',
          'Smoke-Staging: Smoke@1 TagDeployed@2',
          'Verify-Staging: Acceptance@1 LoadTest@2 Resilience@2',
          'Approve-Production: Approve@1',
        ];
        assert.deepEqual(
          stages,
          'productionRegions' in context
            ? [
                ...build,
                // Wave 1, then its smoke test and a bake with a second smoke test, before wave 2.
                'Deploy-Production-Wave1: VerifySignature@1 Deploy-Edge@1 Deploy@2',
                'Smoke-Production-Wave1: Smoke@1 Bake@2',
                'Deploy-Production-Wave2: VerifySignature@1 Deploy-EuCentral1-Edge@1 Deploy-EuCentral1@2',
                'Smoke-Production-Wave2: Smoke-EuCentral1@1 TagDeployed@2',
              ]
            : [
                ...build,
                'Deploy-Production: VerifySignature@1 Deploy-Edge@1 Deploy@2',
                'Smoke-Production: Smoke@1 TagDeployed@2',
              ],
        );
      });

      test('each project may assume exactly the bootstrap roles of the accounts and regions it deploys to', () => {
        const places = run.places();
        const pipelineAccount = places.get(sharedStackName('Pipeline'))!.account;
        for (const project of projects) {
          const needed = new Set<string>();
          for (const command of project.commands) {
            const deploys = targets(command, /^npx cdk deploy /);
            const drifts = targets(command, DRIFT_CHECK);
            for (const [patterns, roles] of [
              [deploys, ['deploy', 'file-publishing']],
              [drifts, ['lookup']],
            ] as const) {
              for (const stack of patterns.flatMap((pattern) => matching(run.stacks(), pattern))) {
                const { account, region } = places.get(stack)!;
                for (const role of roles) needed.add(bootstrapRole(role, account ?? pipelineAccount, region));
              }
            }
            // The load test and the resilience experiment: staging's promotion-check role, in staging's account.
            if (command === 'source infra/lib/pipeline/promotion-role.sh') {
              const service = environmentStackName('Staging', 'Service');
              const account = places.get(service)!.account ?? pipelineAccount ?? 'ACCOUNT';
              needed.add(`arn:aws:iam::${account}:role/${promotionCheckRoleName(service)}`);
            }
          }
          assert.deepEqual([...project.assumable].sort(), [...needed].sort(), project.id);
        }
        // A staging deployer can assume no production role, and the other way round.
        if ('stagingAccount' in context) {
          for (const project of projects.filter(({ id }) => id.startsWith('DeployStaging'))) {
            assert.ok(project.assumable.length > 0);
            for (const role of project.assumable) assert.ok(role.includes(`-${context.stagingAccount}-`), role);
          }
          for (const project of projects.filter(({ id }) => id.startsWith('DeployProduction'))) {
            for (const role of project.assumable) assert.ok(role.includes(`-${context.productionAccount}-`), role);
          }
        }
      });
    });
  }

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
