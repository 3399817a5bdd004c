import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { environmentStackName, sharedStackName } from '../../infra/lib/names.ts';
import { STAGING } from '../../infra/lib/environments.ts';
import { IDENTITY } from '../../src/identity.ts';
import { PipelineStack, type PipelineStackProps } from '../../infra/lib/pipeline-stack.ts';
import { ImageSigning } from '../../infra/lib/registry/image-signing.ts';

export const CONNECTION_ARN =
  'arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

/**
 * The pipeline stack in an app of its own, with cdk.json's feature flags, beside a small
 * stack that holds a real ECR repository, as the app's registry stack does, and empty stacks
 * named as the environments' are. All are pinned to a region, as in the app, unless `region`
 * is null (an environment-agnostic stack).
 */
export function buildPipeline(
  overrides: Partial<PipelineStackProps> = {},
  region: string | null = 'eu-west-1',
  environmentIds: readonly string[] = ['Staging', 'Production'],
  /** The last environment's regions, in waves. */
  lastWaves: readonly (readonly string[])[] = [[region ?? 'eu-west-1']],
) {
  const app = new App({ context: cdkJson.context });
  const env = region === null ? {} : { env: { region } };
  const registry = new Stack(app, sharedStackName('Registry'), env);
  const repository = new ecr.Repository(registry, 'Repository');
  const signing = new ImageSigning(registry, 'Signing', { repository });
  // A template needs one resource: a wait condition handle is the smallest there is.
  const stackOf = (name: string, where: { env?: { region: string } } = env) => {
    const stack = new Stack(app, name, where);
    new CfnWaitConditionHandle(stack, 'Placeholder');
    return stack;
  };
  const environments = environmentIds.map((id, index) => ({
    // Every environment another follows is checked before the promotion, as staging is.
    settings: {
      id,
      name: id.toLowerCase(),
      ...(index < environmentIds.length - 1 && { promotionChecks: STAGING.promotionChecks }),
    },
    units:
      index < environmentIds.length - 1
        ? [
            {
              region: region ?? 'eu-west-1',
              wave: 0,
              edge: stackOf(environmentStackName(id, 'Edge'), { env: { region: 'us-east-1' } }),
              network: stackOf(environmentStackName(id, 'Network')),
              service: stackOf(environmentStackName(id, 'Service')),
            },
          ]
        : lastWaves.flatMap((regions, wave) =>
            regions.map((unitRegion) => ({
              region: unitRegion,
              wave,
              edge: stackOf(environmentStackName(id, 'Edge', unitRegion), { env: { region: 'us-east-1' } }),
              network: stackOf(environmentStackName(id, 'Network', unitRegion), { env: { region: unitRegion } }),
              service: stackOf(environmentStackName(id, 'Service', unitRegion), { env: { region: unitRegion } }),
            })),
          ),
  }));
  const stack = new PipelineStack(app, sharedStackName('Pipeline'), {
    ...env,
    repository,
    registryStack: registry,
    signing,
    environments,
    connectionArn: CONNECTION_ARN,
    owner: 'octo-org',
    repo: IDENTITY.githubRepo,
    cdkContext: { connectionArn: CONNECTION_ARN, githubOwner: 'octo-org' },
    ...overrides,
  });
  return { app, registry, repository, stack, template: Template.fromStack(stack) };
}

export interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

export interface ActionJson {
  readonly Name: string;
  readonly RunOrder: number;
  readonly Namespace?: string;
  readonly ActionTypeId: { readonly Category: string; readonly Provider: string };
  readonly Configuration?: Record<string, unknown>;
}

export interface StageJson {
  readonly Name: string;
  readonly Actions: readonly ActionJson[];
}

export function resourcesOfType(template: Template, type: string) {
  return Object.entries((template.toJSON() as TemplateJson).Resources).filter(([, resource]) => resource.Type === type);
}

export function stages(template: Template): readonly StageJson[] {
  const [pipeline] = resourcesOfType(template, 'AWS::CodePipeline::Pipeline');
  return pipeline![1].Properties!.Stages as StageJson[];
}

export function stage(template: Template, name: string): StageJson {
  const found = stages(template).find((candidate) => candidate.Name === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
}

/** The environment variables a CodeBuild action passes, as CodePipeline stores them (a JSON string). */
export function actionEnvironment(action: ActionJson): Record<string, string> {
  const variables = JSON.parse((action.Configuration?.EnvironmentVariables as string | undefined) ?? '[]') as {
    name: string;
    value: string;
  }[];
  return Object.fromEntries(variables.map(({ name, value }) => [name, value]));
}

/** The logical ID of the CodeBuild project an action runs. */
export function projectOf(action: ActionJson): string {
  return (action.Configuration?.ProjectName as { Ref: string }).Ref;
}

export function projectProperties(template: Template, logicalId: string): Record<string, unknown> {
  const resource = (template.toJSON() as TemplateJson).Resources[logicalId];
  if (resource?.Type !== 'AWS::CodeBuild::Project') throw new Error(`${logicalId} is not a CodeBuild project`);
  return resource.Properties!;
}

/**
 * A project's buildspec, as CodeBuild will read it. CDK writes it as a JSON string,
 * split by Fn::Join around references (report group ARNs), which become `<LogicalId.Attribute>` here.
 */
export function buildSpecOf(template: Template, logicalId: string): BuildSpecJson {
  const source = projectProperties(template, logicalId).Source as { BuildSpec: unknown };
  const text =
    typeof source.BuildSpec === 'string'
      ? source.BuildSpec
      : (source.BuildSpec as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(renderPart).join('');
  return JSON.parse(text) as BuildSpecJson;
}

function renderPart(part: unknown): string {
  if (typeof part === 'string') return part;
  const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt === undefined) throw new Error(`unexpected reference in a buildspec: ${JSON.stringify(part)}`);
  return `<${getAtt.join('.')}>`;
}

export interface BuildSpecJson {
  readonly version: string;
  readonly env?: { readonly shell?: string; readonly 'exported-variables'?: readonly string[] };
  /** `commands` is missing only from an install phase that just selects a runtime (`runtime-versions`). */
  readonly phases: Record<
    string,
    { readonly commands: readonly string[]; readonly 'runtime-versions'?: Record<string, string> }
  >;
  readonly reports?: Record<string, { files: string[]; 'base-directory': string; 'file-format': string }>;
  readonly artifacts?: { readonly files: readonly string[] };
}

export const commandsOf = (spec: BuildSpecJson) =>
  Object.values(spec.phases).flatMap((phase) => ('commands' in phase ? phase.commands : []));
