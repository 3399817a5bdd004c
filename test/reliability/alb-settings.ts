import { Template } from 'aws-cdk-lib/assertions';
import { addServiceStacks } from '../../infra/lib/service-stacks.ts';
import { ENVIRONMENTS } from '../../infra/lib/environments.ts';
import { newApp } from '../infra/helpers.ts';

/** What the load balancer and ECS do during a deployment, as the synthesised Service stack sets it. Times in ms. */
export interface AlbSettings {
  readonly environment: string;
  readonly healthCheckPath: string;
  readonly healthyHttpCode: string;
  readonly healthCheckIntervalMs: number;
  readonly healthCheckTimeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelayMs: number;
  /** The ALB's connect timeout to a target: fixed by AWS, not in the stack. A target that does not accept in time: 504. */
  readonly connectTimeoutMs: number;
  /** The ALB's idle timeout: it closes a connection, to the client or to a target, idle this long. */
  readonly idleTimeoutMs: number;
  /** The container's KEEP_ALIVE_TIMEOUT_MS, from its SSM parameter. */
  readonly keepAliveTimeoutMs: number;
  /** The container's SHUTDOWN_TIMEOUT_MS. */
  readonly shutdownTimeoutMs: number;
  /** SIGTERM to SIGKILL. */
  readonly stopTimeoutMs: number;
  readonly canaryPercent: number;
  readonly canaryBakeMs: number;
  /** After all traffic has moved, how long the old revision stays registered before it is deregistered. */
  readonly deploymentBakeMs: number;
}

type Resource = { Type: string; Properties: Record<string, unknown> };
type Attributes = { Key: string; Value: string }[];

const SECOND = 1_000;
const MINUTE = 60_000;

/**
 * Synthesises the environment's Service stack in this process, as `cdk synth` would, and reads the drill's figures
 * from the template: the values that deploy, not a copy of them.
 */
export function albSettings(environmentName = 'staging'): AlbSettings {
  const environment = ENVIRONMENTS.find((e) => e.name === environmentName);
  if (environment === undefined) throw new Error(`no environment named ${environmentName}`);
  const stacks = addServiceStacks(newApp(), { imageTag: 'drill', environments: [environment] });
  const template = Template.fromStack(stacks.environments.get(environmentName)!.service);
  const resources = Object.values(template.toJSON().Resources as Record<string, Resource>);
  const only = (type: string, where: (r: Resource) => boolean = () => true): Record<string, unknown> => {
    const found = resources.filter((r) => r.Type === type && where(r));
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0]!.Properties;
  };
  const attribute = (attributes: unknown, key: string): string => {
    const value = (attributes as Attributes).find((a) => a.Key === key)?.Value;
    if (value === undefined) throw new Error(`attribute ${key} is not set`);
    return value;
  };
  const parameter = (name: string): string =>
    only('AWS::SSM::Parameter', (r) => String(r.Properties.Name).endsWith(`/${name}`)).Value as string;

  const targetGroups = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup');
  // ECS moves traffic between two target groups; the drill's one backend stands for both, so they must agree.
  if (targetGroups.length !== 2) throw new Error(`expected two target groups, found ${targetGroups.length}`);
  const group = targetGroups[0]!.Properties;
  for (const other of targetGroups.slice(1)) {
    for (const key of [
      'HealthCheckPath',
      'HealthCheckIntervalSeconds',
      'HealthCheckTimeoutSeconds',
      'HealthyThresholdCount',
      'UnhealthyThresholdCount',
      'Matcher',
      'TargetGroupAttributes',
    ]) {
      if (JSON.stringify(other.Properties[key]) !== JSON.stringify(group[key])) {
        throw new Error(`the two target groups differ in ${key}`);
      }
    }
  }
  const loadBalancer = only('AWS::ElasticLoadBalancingV2::LoadBalancer');
  const service = only('AWS::ECS::Service');
  const deployment = service.DeploymentConfiguration as {
    Strategy: string;
    BakeTimeInMinutes: number;
    CanaryConfiguration: { CanaryPercent: number; CanaryBakeTimeInMinutes: number };
  };
  if (deployment.Strategy !== 'CANARY') throw new Error(`the service deploys ${deployment.Strategy}, not CANARY`);
  const container = (
    only('AWS::ECS::TaskDefinition').ContainerDefinitions as { Name: string; StopTimeout: number }[]
  ).find((c) => c.Name === 'app')!;

  return {
    environment: environmentName,
    healthCheckPath: group.HealthCheckPath as string,
    healthyHttpCode: (group.Matcher as { HttpCode: string }).HttpCode,
    healthCheckIntervalMs: (group.HealthCheckIntervalSeconds as number) * SECOND,
    healthCheckTimeoutMs: (group.HealthCheckTimeoutSeconds as number) * SECOND,
    healthyThreshold: group.HealthyThresholdCount as number,
    unhealthyThreshold: group.UnhealthyThresholdCount as number,
    deregistrationDelayMs:
      Number(attribute(group.TargetGroupAttributes, 'deregistration_delay.timeout_seconds')) * SECOND,
    connectTimeoutMs: 10 * SECOND,
    idleTimeoutMs: Number(attribute(loadBalancer.LoadBalancerAttributes, 'idle_timeout.timeout_seconds')) * SECOND,
    keepAliveTimeoutMs: Number(parameter('KEEP_ALIVE_TIMEOUT_MS')),
    shutdownTimeoutMs: Number(parameter('SHUTDOWN_TIMEOUT_MS')),
    stopTimeoutMs: container.StopTimeout * SECOND,
    canaryPercent: deployment.CanaryConfiguration.CanaryPercent,
    canaryBakeMs: deployment.CanaryConfiguration.CanaryBakeTimeInMinutes * MINUTE,
    deploymentBakeMs: deployment.BakeTimeInMinutes * MINUTE,
  };
}

/** Every duration multiplied by `factor`; counts, percentages and the path stay as they are. */
export function scaled(settings: AlbSettings, factor: number): AlbSettings {
  const out: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(settings)) {
    if (key.endsWith('Ms')) out[key] = Math.round((value as number) * factor);
  }
  return out as unknown as AlbSettings;
}
