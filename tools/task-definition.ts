/**
 * The container settings of the production task definition, read from the synthesised CloudFormation template:
 * what ECS will do with the image, so that a local run does the same and no copy can drift from the CDK code.
 */
import { App, Stack } from 'aws-cdk-lib';
import cdkJson from '../cdk.json' with { type: 'json' };
import { addServiceStacks } from '../infra/lib/service-stacks.ts';
import { PRODUCTION } from '../infra/lib/environments.ts';

export interface ContainerSettings {
  readonly port: number;
  readonly user: string;
  readonly readonlyRootFilesystem: boolean;
  /** ECS's initProcessEnabled: an init as PID 1 that forwards signals and reaps. */
  readonly init: boolean;
  readonly dropCapabilities: readonly string[];
  /** Plain environment and the values of the SSM parameters the task injects when it starts. */
  readonly environment: Readonly<Record<string, string>>;
  /** The health-check command, without ECS's leading `CMD`. */
  readonly healthCheck: readonly string[];
}

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

interface ContainerDefinition {
  readonly PortMappings: readonly { ContainerPort: number }[];
  readonly User: string;
  readonly ReadonlyRootFilesystem?: boolean;
  readonly LinuxParameters?: { InitProcessEnabled?: boolean; Capabilities?: { Drop?: string[] } };
  readonly Environment?: readonly { Name: string; Value: string }[];
  readonly Secrets?: readonly { Name: string; ValueFrom: unknown }[];
  readonly HealthCheck: { Command: string[] };
}

/** The logical ids that `value` references with Ref, at any depth (an SSM ARN is an Fn::Join around one). */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'Ref' && typeof inner === 'string' ? [inner] : refs(inner),
  );
}

/** Synthesises the production service stack (a few seconds) and returns its container's settings. */
export function productionContainerSettings(): ContainerSettings {
  const app = new App({ context: cdkJson.context });
  const stacks = addServiceStacks(app, { imageTag: 'local', environments: [PRODUCTION] });
  const stack: Stack = stacks.environments.get(PRODUCTION.name)!.service;
  const template = app.synth().getStackArtifact(stack.artifactId).template as {
    Resources: Record<string, CfnResource>;
  };
  const resources = template.Resources;
  const taskDefinitions = Object.values(resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  if (taskDefinitions.length !== 1) throw new Error(`expected one task definition, found ${taskDefinitions.length}`);
  const containers = taskDefinitions[0]!.Properties.ContainerDefinitions as ContainerDefinition[];
  if (containers.length !== 1) throw new Error(`expected one container, found ${containers.length}`);
  const container = containers[0]!;

  const environment: Record<string, string> = {};
  for (const { Name, Value } of container.Environment ?? []) environment[Name] = Value;
  for (const secret of container.Secrets ?? []) {
    const parameter = refs(secret.ValueFrom)
      .map((id) => resources[id])
      .find((r) => r?.Type === 'AWS::SSM::Parameter');
    // A Secrets Manager secret has no value here; the service must start without one.
    if (parameter) environment[secret.Name] = String(parameter.Properties.Value);
  }

  const [cmd, ...healthCheck] = container.HealthCheck.Command;
  if (cmd !== 'CMD') throw new Error(`the health check is ${cmd}, not an exec-form CMD`);
  return {
    port: container.PortMappings[0]!.ContainerPort,
    user: container.User,
    readonlyRootFilesystem: container.ReadonlyRootFilesystem === true,
    init: container.LinuxParameters?.InitProcessEnabled === true,
    dropCapabilities: container.LinuxParameters?.Capabilities?.Drop ?? [],
    environment,
    healthCheck,
  };
}
