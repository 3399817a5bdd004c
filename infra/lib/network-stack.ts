import {
  CrossStackReferences,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeControl } from './checks.ts';
import { logEncryptionKey } from './kms.ts';
import { acknowledgeShortRetention, TEST_ENVIRONMENT_RETENTION } from './log-storage.ts';

export interface NetworkStackProps extends StackProps {
  /**
   * The zones to spread over, named explicitly so that synthesis never looks them up in an account.
   * At least two: the load balancer requires it, and one zone's outage must leave tasks running.
   */
  readonly availabilityZones: readonly string[];
  /**
   * NAT gateways for the tasks' outbound traffic (ECR, CloudWatch Logs, SSM). One is cheapest; one per zone
   * keeps egress up when a zone fails.
   * @default 1
   */
  readonly natGateways?: number;
  /** @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** What happens to the flow logs when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** A VPC of our own: public subnets for the load balancer, private subnets with NAT egress for the tasks. */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.IVpc;
  private readonly zones: readonly string[];

  /**
   * The zones named in props. In a stack with a named account, CDK's VPC checks its zones against this list, which
   * Stack would look up in the account: a lookup that needs credentials and writes cdk.context.json.
   */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const zones = props.availabilityZones;
    this.zones = zones;
    // What CDK's own getter does when it hands out zones, which this stack's getter replaces.
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'The zones are named per region in infra/lib/environments.ts (ZONES), so that synthesis never looks them up: ' +
        'literal zones in the template are intended.',
    });
    const natGateways = props.natGateways ?? 1;
    if (new Set(zones).size !== zones.length || zones.length < 2) {
      throw new Error(`${id}: availabilityZones must name at least 2 distinct zones, got [${zones.join(', ')}]`);
    }
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > zones.length) {
      throw new Error(
        `${id}: natGateways must be from 1 to ${zones.length} (one per zone at most), got ${natGateways}: ` +
          'the tasks run in private subnets and reach ECR, SSM and CloudWatch Logs through NAT',
      );
    }

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      availabilityZones: [...zones],
      natGateways,
      subnetConfiguration: [
        // Only the load balancer and the NAT gateways live here, and both bring their own addresses.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
    });
    this.vpc = vpc;
    // Exported: CloudFormation then refuses to delete or replace what a service stack runs in
    // (docs/decisions/cross-stack-references.md).
    for (const shared of [vpc, ...vpc.publicSubnets, ...vpc.privateSubnets]) {
      CrossStackReferences.of(shared).produce(ReferenceStrength.STRONG);
    }
    // restrictDefaultSecurityGroup: CDK's custom resource that empties the default security group's rules.
    const restrictDefaultSg = this.node.findChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    acknowledgeControl(
      restrictDefaultSg,
      'lambda_inside_vpc_check',
      "CDK's provider for the custom resource that removes the default security group's rules: it runs for " +
        'seconds during a deploy, calls only the EC2 API on this VPC, and CDK offers no VPC setting for it.',
    );

    const retention = props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention,
      removalPolicy,
      encryptionKey: logEncryptionKey(this, 'LogsKey', removalPolicy),
    });
    acknowledgeShortRetention(flowLogGroup, retention, 'VPC flow logs', TEST_ENVIRONMENT_RETENTION);
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
