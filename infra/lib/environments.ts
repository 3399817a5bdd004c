import { Duration, RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AUDIT_RETENTION } from './log-storage.ts';
import type { NetworkStackProps } from './network-stack.ts';
import type { ServiceStackProps } from './service-stack.ts';

/** Everything that differs between environments, in one typed place. The stacks are the same code. */
export interface EnvironmentSettings {
  /** Lower case: SSM parameter paths and tags. */
  readonly name: string;
  /** Title case: stack ids, <identity id>-<id>-Network and <identity id>-<id>-Service (infra/lib/names.ts). */
  readonly id: string;
  readonly network: Omit<NetworkStackProps, keyof StackProps>;
  readonly service: Omit<ServiceStackProps, keyof StackProps | 'vpc' | 'repository' | 'imageTag' | 'environmentName'>;
}

/**
 * Every stack deploys to this region, in the account of the credentials that run `cdk deploy`. The zones are
 * named here so that synthesis never looks them up (no credentials, no cdk.context.json).
 */
export const REGION = 'eu-west-1';
const ZONES = ['eu-west-1a', 'eu-west-1b'];

export const STAGING: EnvironmentSettings = {
  name: 'staging',
  id: 'Staging',
  network: { availabilityZones: ZONES, natGateways: 1 },
  service: {
    minTasks: 2,
    maxTasks: 4,
    logLevel: 'info',
    // The slowest rollback alarm is the synthetic check's (a 5-minute window): each bake covers that window, the
    // run's retry and CloudWatch's metric delay, so an alarm can still roll the deployment back.
    canary: { percent: 10, bakeTime: Duration.minutes(10) },
    deploymentBakeTime: Duration.minutes(10),
    // One client IP: 1000 requests in 5 minutes, 3.3 a second. Set `mode: 'count'` for a first rollout.
    webAcl: { mode: 'block', requestsPerIpPer5Minutes: 1000 },
    // Test traffic only: two weeks covers the investigation of a failed deploy.
    logRetention: logs.RetentionDays.TWO_WEEKS,
  },
};

export const PRODUCTION: EnvironmentSettings = {
  name: 'production',
  id: 'Production',
  // One NAT gateway per zone: a zone outage must not cut the other zone's tasks off from ECR and CloudWatch.
  network: {
    availabilityZones: ZONES,
    natGateways: 2,
    flowLogRetention: AUDIT_RETENTION,
    logRemovalPolicy: RemovalPolicy.RETAIN,
  },
  service: {
    minTasks: 2,
    maxTasks: 10,
    logLevel: 'info',
    // As staging: one synthetic check window and its delays.
    canary: { percent: 10, bakeTime: Duration.minutes(10) },
    deploymentBakeTime: Duration.minutes(10),
    // Clients behind one NAT share an address: 3000 requests in 5 minutes, 10 a second, per IP.
    webAcl: { mode: 'block', requestsPerIpPer5Minutes: 3000 },
    deletionProtection: true,
    logRetention: AUDIT_RETENTION,
    logRemovalPolicy: RemovalPolicy.RETAIN,
  },
};

export const ENVIRONMENTS: readonly EnvironmentSettings[] = [STAGING, PRODUCTION];
