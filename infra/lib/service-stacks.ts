import { Aws, Tags, type App } from 'aws-cdk-lib';
import { EDGE_REGION, EdgeStack } from './edge-stack.ts';
import { cloudFrontOriginFacing, ENVIRONMENTS, REGION, zonesOf, type EnvironmentSettings } from './environments.ts';
import { validatePromotionChecks } from './load-test.ts';
import { environmentStackName, PROJECT_TAG, repositoryName, sharedStackName, stackDescription } from './names.ts';
import { NetworkStack } from './network-stack.ts';
import { RegistryStack } from './registry-stack.ts';
import { ServiceStack } from './service-stack.ts';

export interface ServiceStacksProps {
  /** The image tag every environment runs, or, with imageDigest, carries as a label. */
  readonly imageTag: string;
  /** The digest every environment runs, `sha256:<64 hex>`. @default - each runs the image imageTag names */
  readonly imageDigest?: string;
  /** @default ENVIRONMENTS (staging, production, in the home region of the credentials' account) */
  readonly environments?: readonly EnvironmentSettings[];
  /**
   * The account of the registry (and the pipeline). Required when an environment names an account of its own.
   * @default the account of the credentials, as for every stack
   */
  readonly toolsAccount?: string;
}

/** One copy of an environment: its network and service stacks in one account and region, and its edge stack. */
export interface DeploymentUnit {
  readonly region: string;
  /** Undefined: the credentials' account. */
  readonly account?: string;
  /** Its wave, from 0: the units of a wave deploy in parallel. */
  readonly wave: number;
  /** In us-east-1, in the unit's account: the web ACL (and certificate) of the unit's distribution. */
  readonly edge: EdgeStack;
  readonly network: NetworkStack;
  readonly service: ServiceStack;
}

export interface EnvironmentStacks {
  readonly settings: EnvironmentSettings;
  /** Every region's copy, wave by wave. */
  readonly units: readonly DeploymentUnit[];
  /** The first unit's network: the home region's, unless the environment is elsewhere. */
  readonly network: NetworkStack;
  /** The first unit's service. */
  readonly service: ServiceStack;
}

export interface ServiceStacks {
  readonly registry: RegistryStack;
  /** By environment name: staging, production, in the order they deploy. */
  readonly environments: ReadonlyMap<string, EnvironmentStacks>;
}

/**
 * Adds the registry and, per environment and region, the network and service stacks. infra/bin/app.ts and the tests
 * both build the app through here, so the tests check what `cdk deploy` deploys.
 */
export function addServiceStacks(app: App, props: ServiceStacksProps): ServiceStacks {
  const all = props.environments ?? ENVIRONMENTS;
  const toolsAccount = props.toolsAccount;
  const home = { account: toolsAccount, region: REGION };
  const isHome = (account: string | undefined, region: string) => account === toolsAccount && region === REGION;
  const places = all.flatMap((settings) =>
    settings.waves.flat().map((region) => ({ account: settings.account ?? toolsAccount, region })),
  );
  for (const { region } of places) {
    zonesOf(region);
    cloudFrontOriginFacing(region);
  }
  for (const settings of all) {
    if (settings.promotionChecks) validatePromotionChecks(settings.name, settings.promotionChecks);
  }
  // Another account or region pulls by name, so the repository gets one; the one-account path keeps CDK's.
  const elsewhere = places.some(({ account, region }) => !isHome(account, region));
  const pullAccounts = [
    ...new Set(places.flatMap(({ account }) => (account === undefined || account === toolsAccount ? [] : [account]))),
  ];
  const replicaRegions = [...new Set(places.map(({ region }) => region))].filter((region) => region !== REGION);

  Tags.of(app).add(PROJECT_TAG.key, PROJECT_TAG.value);
  const registry = new RegistryStack(app, sharedStackName('Registry'), {
    env: home,
    environments: all.map((settings) => settings.name),
    repositoryName: elsewhere ? repositoryName() : undefined,
    pullAccounts,
    replicaRegions,
    description: stackDescription('the ECR repository that every environment pulls from'),
  });

  const environments = new Map<string, EnvironmentStacks>();
  for (const settings of all) {
    const account = settings.account ?? toolsAccount;
    const units = settings.waves.flatMap((regions, wave) =>
      regions.map((region): DeploymentUnit => {
        const env = { account, region };
        const where = region === REGION ? settings.name : `${settings.name} ${region}`;
        const { service: serviceSettings } = settings;
        const edge = new EdgeStack(app, environmentStackName(settings.id, 'Edge', region), {
          ...settings.edge,
          domainName: serviceSettings.domainName,
          hostedZone: serviceSettings.hostedZone,
          certificateArn: serviceSettings.certificateArn,
          alarmEmail: serviceSettings.alarmEmail,
          loadTestExemption: settings.promotionChecks !== undefined,
          logRetention: serviceSettings.logRetention,
          logRemovalPolicy: serviceSettings.logRemovalPolicy,
          env: { account, region: EDGE_REGION },
          description: stackDescription(`the edge web ACL in ${EDGE_REGION}`, where),
        });
        const network = new NetworkStack(app, environmentStackName(settings.id, 'Network', region), {
          ...settings.network,
          availabilityZones: zonesOf(region),
          env,
          description: stackDescription('VPC, subnets, NAT, flow logs', where),
        });
        const service = new ServiceStack(app, environmentStackName(settings.id, 'Service', region), {
          ...serviceSettings,
          edge: edge.attachment,
          vpc: network.vpc,
          // In the registry's account and region, a strong reference keeps the registry from being deleted under
          // the service; elsewhere, no export can cross, and the service names the repository instead.
          repository: isHome(account, region)
            ? registry.repository
            : // No tools account named: every stack is in the credentials' account, which AWS::AccountId is.
              { repositoryName: repositoryName(), account: toolsAccount ?? Aws.ACCOUNT_ID },
          imageTag: props.imageTag,
          imageDigest: props.imageDigest,
          environmentName: settings.name,
          // The pipeline, in the tools account, checks this environment under load before promoting the next.
          ...(settings.promotionChecks && {
            promotionChecks: {
              pipelineAccount: toolsAccount ?? Aws.ACCOUNT_ID,
              stopTaskPercent: settings.promotionChecks.resilience.stopTaskPercent,
            },
          }),
          env,
          description: stackDescription('CloudFront, load balancer, ECS Fargate service, autoscaling, alarms', where),
        });
        for (const stack of [edge, network, service]) {
          Tags.of(stack).add('Environment', settings.name);
        }
        return { region, account, wave, edge, network, service };
      }),
    );
    const [first] = units;
    if (first === undefined) throw new Error(`${settings.name} has no region: its waves are empty`);
    environments.set(settings.name, { settings, units, network: first.network, service: first.service });
  }
  return { registry, environments };
}
