import { Duration, RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { PromotionCheckSettings } from './load-test.ts';
import { AUDIT_RETENTION } from './log-storage.ts';
import type { EdgeStackProps } from './edge-stack.ts';
import type { NetworkStackProps } from './network-stack.ts';
import type { ServiceStackProps } from './service-stack.ts';

/** Everything that differs between environments, in one typed place. The stacks are the same code. */
export interface EnvironmentSettings {
  /** Lower case: SSM parameter paths and tags. */
  readonly name: string;
  /** Title case: stack ids, <identity id>-<id>-Network and <identity id>-<id>-Service (infra/lib/names.ts). */
  readonly id: string;
  /**
   * The account its stacks deploy to: 12 digits.
   * @default the tools account (`-c toolsAccount`), which defaults to the account of the credentials that run cdk
   */
  readonly account?: string;
  /**
   * Its regions, in waves: the regions of a wave deploy in parallel, a wave after the one before has passed. Each
   * region is a key of ZONES.
   */
  readonly waves: readonly (readonly string[])[];
  /** The zones come from the region (ZONES). */
  readonly network: Omit<NetworkStackProps, keyof StackProps | 'availabilityZones'>;
  /** The us-east-1 part: the web ACL. Domain, alarm email and log settings come from `service`. */
  readonly edge: Pick<EdgeStackProps, 'webAcl'>;
  readonly service: Omit<
    ServiceStackProps,
    keyof StackProps | 'vpc' | 'repository' | 'imageTag' | 'environmentName' | 'edge'
  >;
  /**
   * The load test (scripts/loadtest.ts) and the resilience experiment during it, which the pipeline runs against this
   * environment, after its acceptance test, before the next environment's approval: for an environment that is
   * promoted from.
   * @default none
   */
  readonly promotionChecks?: PromotionCheckSettings;
}

/**
 * The home region: the registry, the pipeline and staging live here, and production too unless `-c productionRegions`
 * names others. Stacks in it keep names without a region part (infra/lib/names.ts).
 */
export const REGION = 'eu-west-1';

/**
 * The regions an environment may name, each with the two zones its subnets spread over. They are named here so that
 * synthesis never looks them up (no credentials, no cdk.context.json). To deploy to another region, add it with two
 * of its zones (`aws ec2 describe-availability-zones --region <region>`).
 */
export const ZONES: Readonly<Record<string, readonly [string, string]>> = {
  'eu-west-1': ['eu-west-1a', 'eu-west-1b'],
  'eu-west-2': ['eu-west-2a', 'eu-west-2b'],
  'eu-west-3': ['eu-west-3a', 'eu-west-3b'],
  'eu-central-1': ['eu-central-1a', 'eu-central-1b'],
  'eu-north-1': ['eu-north-1a', 'eu-north-1b'],
  'us-east-1': ['us-east-1a', 'us-east-1b'],
  'us-east-2': ['us-east-2a', 'us-east-2b'],
  'us-west-2': ['us-west-2a', 'us-west-2b'],
  // ap-northeast-1b is closed to new accounts.
  'ap-northeast-1': ['ap-northeast-1a', 'ap-northeast-1c'],
  'ap-southeast-1': ['ap-southeast-1a', 'ap-southeast-1b'],
  'ap-southeast-2': ['ap-southeast-2a', 'ap-southeast-2b'],
};

/** The two zones of a region; throws, naming the known regions, for one that ZONES lacks. */
export function zonesOf(region: string): readonly [string, string] {
  const zones = ZONES[region];
  if (zones === undefined) {
    throw new Error(
      `region "${region}" is not one this app knows: expected one of ${Object.keys(ZONES).join(', ')} ` +
        '(or add it with two of its zones to ZONES in infra/lib/environments.ts)',
    );
  }
  return zones;
}

/**
 * The id, in each region of ZONES, of CloudFront's managed prefix list com.amazonaws.global.cloudfront.origin-facing:
 * the origin load balancer admits only these addresses. AWS fixes the id per region; it is named here so that
 * synthesis never looks it up (`aws ec2 describe-managed-prefix-lists --filters
 * Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing` gives it for a region added to ZONES).
 */
export const CLOUDFRONT_ORIGIN_FACING: Readonly<Record<string, string>> = {
  'eu-west-1': 'pl-4fa04526',
  'eu-west-2': 'pl-93a247fa',
  'eu-west-3': 'pl-75b1541c',
  'eu-central-1': 'pl-a3a144ca',
  'eu-north-1': 'pl-fab65393',
  'us-east-1': 'pl-3b927c52',
  'us-east-2': 'pl-b6a144df',
  'us-west-2': 'pl-82a045eb',
  'ap-northeast-1': 'pl-58a04531',
  'ap-southeast-1': 'pl-31a34658',
  'ap-southeast-2': 'pl-b8a742d1',
};

/** The CloudFront origin-facing prefix list of a region; throws for one that CLOUDFRONT_ORIGIN_FACING lacks. */
export function cloudFrontOriginFacing(region: string): string {
  const id = CLOUDFRONT_ORIGIN_FACING[region];
  if (id === undefined) {
    throw new Error(
      `region "${region}" has no CloudFront origin-facing prefix list in CLOUDFRONT_ORIGIN_FACING ` +
        '(infra/lib/environments.ts): add its id beside its zones',
    );
  }
  return id;
}

export const STAGING: EnvironmentSettings = {
  name: 'staging',
  id: 'Staging',
  waves: [[REGION]],
  network: { natGateways: 1 },
  // One client IP: 1000 requests in 5 minutes, 3.3 a second. Set `mode: 'count'` for a first rollout.
  edge: { webAcl: { mode: 'block', requestsPerIpPer5Minutes: 1000 } },
  service: {
    minTasks: 2,
    maxTasks: 4,
    logLevel: 'info',
    // The slowest rollback alarm is the synthetic check's (a 5-minute window): each bake covers that window, the
    // run's retry and CloudWatch's metric delay, so an alarm can still roll the deployment back.
    canary: { percent: 10, bakeTime: Duration.minutes(10) },
    deploymentBakeTime: Duration.minutes(10),
    // Test traffic only: two weeks covers the investigation of a failed deploy.
    logRetention: logs.RetentionDays.TWO_WEEKS,
  },
  // Six minutes at 20 requests a second: the experiment stops one of the two tasks a minute in; ECS has four minutes
  // to start its replacement (about two: image pull, start, two health checks), the other task serving meanwhile.
  promotionChecks: {
    loadTest: {
      durationSeconds: 360,
      ratePerSecond: 20,
      connections: 10,
      maxErrorRate: 0.01,
      maxP99Ms: 1000,
      minAchievedRateShare: 0.95,
    },
    resilience: { stopTaskPercent: 50, startAfterSeconds: 60, recoverySeconds: 240 },
  },
};

export const PRODUCTION: EnvironmentSettings = {
  name: 'production',
  id: 'Production',
  waves: [[REGION]],
  // One NAT gateway per zone: a zone outage must not cut the other zone's tasks off from ECR and CloudWatch.
  network: {
    natGateways: 2,
    flowLogRetention: AUDIT_RETENTION,
    logRemovalPolicy: RemovalPolicy.RETAIN,
  },
  // Clients behind one NAT share an address: 3000 requests in 5 minutes, 10 a second, per IP.
  edge: { webAcl: { mode: 'block', requestsPerIpPer5Minutes: 3000 } },
  service: {
    minTasks: 2,
    maxTasks: 10,
    logLevel: 'info',
    // As staging: one synthetic check window and its delays.
    canary: { percent: 10, bakeTime: Duration.minutes(10) },
    deploymentBakeTime: Duration.minutes(10),
    deletionProtection: true,
    logRetention: AUDIT_RETENTION,
    logRemovalPolicy: RemovalPolicy.RETAIN,
  },
};

export const ENVIRONMENTS: readonly EnvironmentSettings[] = [STAGING, PRODUCTION];
