import { Tags, type App } from 'aws-cdk-lib';
import { ENVIRONMENTS, REGION, type EnvironmentSettings } from './environments.ts';
import { NetworkStack } from './network-stack.ts';
import { RegistryStack } from './registry-stack.ts';
import { ServiceStack } from './service-stack.ts';

export const APP_ID = 'ClockMirror';

export interface ClockMirrorProps {
  /** The image tag every environment runs. */
  readonly imageTag: string;
  /** @default ENVIRONMENTS (staging, production) */
  readonly environments?: readonly EnvironmentSettings[];
}

export interface EnvironmentStacks {
  readonly network: NetworkStack;
  readonly service: ServiceStack;
}

export interface ClockMirrorStacks {
  readonly registry: RegistryStack;
  /** By environment name: staging, production. */
  readonly environments: ReadonlyMap<string, EnvironmentStacks>;
}

/**
 * Adds the registry and, per environment, the network and service stacks. infra/bin/app.ts and the tests
 * both build the app through here, so the tests check what `cdk deploy` deploys.
 */
export function addClockMirrorStacks(app: App, props: ClockMirrorProps): ClockMirrorStacks {
  const env = { region: REGION };
  // Every resource of every stack, the pipeline's included, so that cost and ownership queries see them all.
  Tags.of(app).add('Project', 'clock-mirror');
  const registry = new RegistryStack(app, `${APP_ID}-Registry`, {
    env,
    environments: (props.environments ?? ENVIRONMENTS).map((settings) => settings.name),
    description: 'Clock Mirror: the ECR repository that every environment pulls from',
  });

  const environments = new Map<string, EnvironmentStacks>();
  for (const settings of props.environments ?? ENVIRONMENTS) {
    const network = new NetworkStack(app, `${APP_ID}-${settings.id}-Network`, {
      ...settings.network,
      env,
      description: `Clock Mirror ${settings.name}: VPC, subnets, NAT, flow logs`,
    });
    const service = new ServiceStack(app, `${APP_ID}-${settings.id}-Service`, {
      ...settings.service,
      vpc: network.vpc,
      repository: registry.repository,
      imageTag: props.imageTag,
      environmentName: settings.name,
      env,
      description: `Clock Mirror ${settings.name}: load balancer, ECS Fargate service, autoscaling, alarms`,
    });
    for (const stack of [network, service]) {
      Tags.of(stack).add('Environment', settings.name);
    }
    environments.set(settings.name, { network, service });
  }
  return { registry, environments };
}
