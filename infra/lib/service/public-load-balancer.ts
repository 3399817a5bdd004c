import { Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../checks.ts';
import { acknowledgeLogBucket } from '../log-storage.ts';

/** A public hosted zone, given by attributes so that synthesis makes no lookup. */
export interface HostedZoneAttributes {
  readonly hostedZoneId: string;
  /** e.g. example.com */
  readonly zoneName: string;
}

export interface PublicLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** The port the container listens on; the target groups send traffic there. */
  readonly targetPort: number;
  /** The path the target groups probe. */
  readonly healthCheckPath: string;
  /** Seconds of idleness after which the load balancer closes a connection. The app's keep-alive must exceed it. */
  readonly idleTimeout: Duration;
  /** Seconds a deregistering target keeps its requests in flight. */
  readonly deregistrationDelay: Duration;
  /** The name clients use, e.g. clock.example.com. Required with a certificate: it must cover this name. */
  readonly domainName?: string;
  /** With domainName: an alias record is created here, and a DNS-validated certificate unless certificateArn is given. */
  readonly hostedZone?: HostedZoneAttributes;
  /** An ACM certificate in the stack's region covering domainName. */
  readonly certificateArn?: string;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** Days the access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
}

/**
 * The internet-facing Application Load Balancer, its access-log bucket, its listeners, and the two target
 * groups that ECS shifts traffic between during a canary deployment (the production listener rule
 * forwards to both with weights; ECS owns the weights from the first deployment on).
 */
export class PublicLoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Takes all traffic at creation; afterwards the two groups swap roles at every deployment. */
  public readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  public readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  /** The rule whose weights ECS moves from one target group to the other. */
  public readonly productionRule: elbv2.ApplicationListenerRule;
  public readonly accessLogBucket: s3.Bucket;
  /** https://<domainName> when a certificate is configured, else http://<load balancer DNS name>. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    const domain = parseDomain(this.node.path, Stack.of(this).region, props);

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
      internetFacing: true,
      vpcSubnets: { subnets: props.vpc.publicSubnets },
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
    for (const securityGroup of this.loadBalancer.connections.securityGroups) {
      keepDefaultEgressAway(securityGroup);
      Validations.of(securityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'The internet-facing load balancer of a public API: it accepts the whole internet on its listener ports ' +
          '(80, and 443 with a certificate) and nothing else. The tasks behind it accept only this security group.',
      });
    }

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

    const zone =
      domain?.hostedZone === undefined
        ? undefined
        : route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', domain.hostedZone);
    // Every path matches the production rule below; this answers only what no rule matches.
    const defaultAction = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'text/plain',
      messageBody: 'Not Found',
    });
    // One port-80 listener whatever the domain settings, so that adding a domain changes its default action in
    // place: a second listener on port 80 would be created before the first is deleted, and ELB refuses it
    // ("A listener already exists on this port", aws-cdk#34235).
    const http = this.loadBalancer.addListener('Http', {
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: 80,
      open: true,
      defaultAction:
        domain === undefined
          ? defaultAction
          : elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    if (domain === undefined) {
      acknowledgeControl(
        http,
        'alb_http_to_https_redirection_check',
        'No domain is configured, and no certificate can cover the load balancer DNS name: there is no HTTPS to ' +
          'redirect to. Setting domainName turns this listener into a redirect to 443 (docs/deploy.md).',
      );
    }
    const production =
      domain === undefined
        ? http
        : this.loadBalancer.addListener('Https', {
            protocol: elbv2.ApplicationProtocol.HTTPS,
            port: 443,
            certificates: [
              domain.certificateArn === undefined
                ? new acm.Certificate(this, 'Certificate', {
                    domainName: domain.domainName,
                    validation: acm.CertificateValidation.fromDns(zone),
                  })
                : elbv2.ListenerCertificate.fromArn(domain.certificateArn),
            ],
            // TLS 1.3 and 1.2 only, with post-quantum hybrid key exchange.
            sslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
            open: true,
            defaultAction,
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

    if (domain !== undefined && zone !== undefined) {
      new route53.ARecord(this, 'AliasRecord', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }
    this.url =
      domain === undefined ? `http://${this.loadBalancer.loadBalancerDnsName}` : `https://${domain.domainName}`;
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

/** HTTPS settings that passed validation: either an existing certificate, or a hosted zone to issue one in. */
type Domain =
  | { readonly domainName: string; readonly certificateArn: string; readonly hostedZone?: HostedZoneAttributes }
  | { readonly domainName: string; readonly certificateArn?: undefined; readonly hostedZone: HostedZoneAttributes };

/** undefined for plain HTTP; throws on a combination that cannot serve HTTPS correctly. */
function parseDomain(path: string, region: string, props: PublicLoadBalancerProps): Domain | undefined {
  const { domainName, hostedZone, certificateArn } = props;
  if (domainName === undefined) {
    if (certificateArn !== undefined) {
      throw new Error(
        `${path}: certificateArn needs domainName: clients must use a name the certificate covers, ` +
          'and no certificate covers the load balancer DNS name',
      );
    }
    if (hostedZone !== undefined) throw new Error(`${path}: hostedZone needs domainName, the record to create in it`);
    return undefined;
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName)) {
    throw new Error(`${path}: domainName ${JSON.stringify(domainName)} is not a lower-case DNS name`);
  }
  if (hostedZone !== undefined) {
    const zone = hostedZone.zoneName.replace(/\.$/, '');
    if (domainName !== zone && !domainName.endsWith(`.${zone}`)) {
      throw new Error(`${path}: domainName ${domainName} is not in the hosted zone ${zone}`);
    }
  }
  if (certificateArn === undefined) {
    if (hostedZone === undefined) {
      throw new Error(
        `${path}: domainName ${domainName} needs certificateArn, or hostedZone to issue a DNS-validated certificate in`,
      );
    }
    return { domainName, hostedZone };
  }
  const match = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/.exec(certificateArn);
  if (!match)
    throw new Error(`${path}: certificateArn ${JSON.stringify(certificateArn)} is not an ACM certificate ARN`);
  if (!Token.isUnresolved(region) && match[1] !== region) {
    throw new Error(
      `${path}: certificateArn is in ${String(match[1])}, but the load balancer is in ${region}: ACM certificates are regional`,
    );
  }
  return { domainName, certificateArn, hostedZone };
}
