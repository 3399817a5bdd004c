import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../checks.ts';
import { cloudFrontOriginFacing } from '../environments.ts';
import { acknowledgeLogBucket } from '../log-storage.ts';

export interface OriginLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** The port the container listens on; the target groups send traffic there. */
  readonly targetPort: number;
  /** The path the target groups probe. */
  readonly healthCheckPath: string;
  /** Seconds of idleness after which the load balancer closes a connection. The app's keep-alive must exceed it. */
  readonly idleTimeout: Duration;
  /** Seconds a deregistering target keeps its requests in flight. */
  readonly deregistrationDelay: Duration;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** Days the access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
}

/**
 * The internal Application Load Balancer that CloudFront reaches through a VPC origin, its access-log bucket, its
 * listener, and the two target groups that ECS shifts traffic between during a canary deployment (the production
 * listener rule forwards to both with weights; ECS owns the weights from the first deployment on). It has no public
 * address, and its security group admits only CloudFront's origin-facing servers.
 */
export class OriginLoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Takes all traffic at creation; afterwards the two groups swap roles at every deployment. */
  public readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  public readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  /** The rule whose weights ECS moves from one target group to the other. */
  public readonly productionRule: elbv2.ApplicationListenerRule;
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OriginLoadBalancerProps) {
    super(scope, id);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs can only be delivered to a bucket encrypted with S3-managed keys (SSE-S3).
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
      // Audit data outlives the stack; the lifecycle rule bounds its cost.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket holds the load balancer access logs. Server access logs of a log bucket would need a further ' +
        'bucket of their own; reads of these logs are recorded by CloudTrail.',
    });
    acknowledgeLogBucket(this.accessLogBucket, 'Elastic Load Balancing');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      // No public IPv4 address, no internet-facing scheme: CloudFront's VPC origin reaches it from inside the VPC.
      internetFacing: false,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      idleTimeout: props.idleTimeout,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? false,
    });
    if (props.deletionProtection !== true) {
      acknowledgeControl(
        this.loadBalancer,
        'elbv2_deletion_protection_enabled_check',
        'Deletion protection is a setting of each environment (infra/lib/environments.ts): production turns it on, ' +
          'while an environment without real users is meant to go with `cdk destroy`.',
      );
    }
    this.loadBalancer.logAccessLogs(this.accessLogBucket);
    for (const securityGroup of this.loadBalancer.connections.securityGroups) keepDefaultEgressAway(securityGroup);
    // CloudFront's managed prefix list of its origin-facing servers, the documented source for a VPC origin's
    // traffic; it weighs 55 rules of the group's 60. Named per region, so that synthesis makes no lookup.
    this.loadBalancer.connections.allowFrom(
      ec2.Peer.prefixList(cloudFrontOriginFacing(Stack.of(this).region)),
      ec2.Port.tcp(80),
      'CloudFront origin-facing servers, the VPC origin',
    );

    const targetGroupProps: elbv2.ApplicationTargetGroupProps = {
      vpc: props.vpc,
      port: props.targetPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: props.deregistrationDelay,
      healthCheck: {
        path: props.healthCheckPath,
        healthyHttpCodes: '200',
        // A new task takes traffic ~20 s after it starts, and a failing one leaves within ~30 s.
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    };
    this.blueTargetGroup = new elbv2.ApplicationTargetGroup(this, 'Blue', targetGroupProps);
    this.greenTargetGroup = new elbv2.ApplicationTargetGroup(this, 'Green', targetGroupProps);

    // One listener, HTTP: no certificate can cover the internal DNS name CloudFront connects to, so TLS ends at the
    // edge. The production rule below matches every path, so its default action answers nothing: it redirects to
    // HTTPS, as Control Tower's CT.ELASTICLOADBALANCING.PR.1 asks of an HTTP listener and as CloudFront does for
    // viewers. A domain added later is an alias on the distribution and leaves this listener as it is.
    const production = this.loadBalancer.addListener('Http', {
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    this.productionRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener: production,
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.blueTargetGroup, weight: 100 },
        { targetGroup: this.greenTargetGroup, weight: 0 },
      ]),
    });
  }
}

/** CDK's own placeholder for "no outbound rule": ICMP type 252 code 86 to 255.255.255.255/32 matches no packet. */
const NO_TRAFFIC: ec2.CfnSecurityGroup.EgressProperty = {
  cidrIp: '255.255.255.255/32',
  description: 'Disallow all traffic',
  ipProtocol: 'icmp',
  fromPort: 252,
  toPort: 86,
};

/**
 * The load balancer's group (allowAllOutbound false) reaches only the tasks, through a rule CDK writes as a separate
 * SecurityGroupEgress resource because its peer is another group. CDK drops its no-traffic placeholder as soon as
 * any egress rule is added, separate ones included, and a group whose template has no inline egress gets EC2's
 * default allow-all rule. Keeping the placeholder inline whenever no other inline rule exists removes that default.
 */
function keepDefaultEgressAway(securityGroup: ec2.ISecurityGroup): void {
  const group = securityGroup.node.defaultChild;
  if (!(group instanceof ec2.CfnSecurityGroup)) {
    throw new Error(`${securityGroup.node.path}: expected a security group defined in this stack`);
  }
  const rendered: unknown = group.securityGroupEgress;
  group.securityGroupEgress = Lazy.any({
    produce: () => (Stack.of(group).resolve(rendered) as unknown[] | undefined) ?? [NO_TRAFFIC],
  });
}
