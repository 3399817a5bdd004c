import { Tags, type App } from 'aws-cdk-lib';
import { ENVIRONMENTS, REGION, type EnvironmentSettings } from './environments.ts';
import { environmentStackName, PROJECT_TAG, sharedStackName, stackDescription } from './names.ts';
import { NetworkStack } from './network-stack.ts';
import { RegistryStack } from './registry-stack.ts';
import { ServiceStack } from './service-stack.ts';

export interface ServiceStacksProps {
  /** The image tag every environment runs. */
  readonly imageTag: string;
  /** @default ENVIRONMENTS (staging, production) */
  readonly environments?: readonly EnvironmentSettings[];
}

export interface EnvironmentStacks {
  readonly settings: EnvironmentSettings;
  readonly network: NetworkStack;
  readonly service: ServiceStack;
}

export interface ServiceStacks {
  readonly registry: RegistryStack;
  /** By environment name: staging, production, in the order they deploy. */
  readonly environments: ReadonlyMap<string, EnvironmentStacks>;
}

/**
 * Adds the registry and, per environment, the network and service stacks. infra/bin/app.ts and the tests
 * both build the app through here, so the tests check what `cdk deploy` deploys.
 */
export function addServiceStacks(app: App, props: ServiceStacksProps): ServiceStacks {
  const env = { region: REGION };
  Tags.of(app).add(PROJECT_TAG.key, PROJECT_TAG.value);
  const registry = new RegistryStack(app, sharedStackName('Registry'), {
    env,
    environments: (props.environments ?? ENVIRONMENTS).map((settings) => settings.name),
    description: stackDescription('the ECR repository that every environment pulls from'),
  });

  const environments = new Map<string, EnvironmentStacks>();
  for (const settings of props.environments ?? ENVIRONMENTS) {
    const network = new NetworkStack(app, environmentStackName(settings.id, 'Network'), {
      ...settings.network,
      env,
      description: stackDescription('VPC, subnets, NAT, flow logs', settings.name),
    });
    const service = new ServiceStack(app, environmentStackName(settings.id, 'Service'), {
      ...settings.service,
      vpc: network.vpc,
      repository: registry.repository,
      imageTag: props.imageTag,
      environmentName: settings.name,
      env,
      description: stackDescription('load balancer, ECS Fargate service, autoscaling, alarms', settings.name),
    });
    for (const stack of [network, service]) {
      Tags.of(stack).add('Environment', settings.name);
    }
    environments.set(settings.name, { settings, network, service });
  }
  return { registry, environments };
}
