import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { logEncryptionKey } from './kms.ts';
import { alarmTopic } from './service/alarm-topic.ts';
import type { HostedZoneAttributes } from './service/edge-distribution.ts';
import type { EdgeAttachment } from './service-stack.ts';
import { WebAcl, type WebAclSettings } from './service/web-acl.ts';
import { LOAD_TEST_HEADER } from './load-test.ts';

/** CloudFront reads its web ACL and its viewer certificate from this region only. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  /** @default { mode: 'block', requestsPerIpPer5Minutes: 1000 } */
  readonly webAcl?: WebAclSettings;
  /**
   * With hostedZone and no certificateArn: the name a DNS-validated certificate is issued for, here, where
   * CloudFront reads it. @default - no certificate
   */
  readonly domainName?: string;
  readonly hostedZone?: HostedZoneAttributes;
  /** An existing certificate: none is issued. @default - issue one when domainName and hostedZone are given */
  readonly certificateArn?: string;
  /** @default - no subscription */
  readonly alarmEmail?: string;
  /**
   * A secret whose value, sent in LOAD_TEST_HEADER, exempts the pipeline's load test from the rate rule, and from no
   * other (docs/decisions/load-test-exemption.md): for an environment the pipeline checks under load. @default false
   */
  readonly loadTestExemption?: boolean;
  /** The WAF logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * What one copy of an environment needs in us-east-1, next to its distribution: the CLOUDFRONT web ACL, its logs
 * and block-spike alarm (with a topic of its own: an alarm notifies only in its region), and the viewer certificate
 * when one is issued here. The service stack reads the web ACL's and the certificate's ARNs through CDK's
 * weak references, Fn::GetStackOutput across regions (docs/decisions/edge.md).
 */
export class EdgeStack extends Stack {
  public readonly webAcl: WebAcl;
  /** Issued here for domainName; undefined without a hosted zone or with an existing certificate. */
  public readonly certificate?: acm.ICertificate;
  /** With loadTestExemption: the value the load test sends. */
  public readonly loadTestToken?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    if (this.region !== EDGE_REGION) {
      throw new Error(
        `${id}: the edge stack must be in ${EDGE_REGION}, where CloudFront reads web ACLs, not ${this.region}`,
      );
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    // Here, with the web ACL: a dynamic reference resolves only in its own stack's region.
    this.loadTestToken = props.loadTestExemption
      ? new secretsmanager.Secret(this, 'LoadTestToken', {
          description: 'Sent by the pipeline load test to pass the per-IP rate rule of the web ACL',
          generateSecretString: { passwordLength: 40, excludePunctuation: true },
        })
      : undefined;
    if (this.loadTestToken) {
      Validations.of(this.loadTestToken).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The web ACL holds the value itself (a dynamic reference, resolved at deploy): a rotation would change it ' +
          'under the rule until the next deploy. Replacing the secret and redeploying rotates it; it exempts from ' +
          'the rate rule only, never from the managed rules.',
      });
    }
    this.webAcl = new WebAcl(this, 'WebAcl', {
      ...(props.webAcl ?? { requestsPerIpPer5Minutes: 1000 }),
      ...(this.loadTestToken && {
        rateLimitExemption: {
          headerName: LOAD_TEST_HEADER,
          // A dynamic reference in the template; the value itself never enters it.
          headerValue: this.loadTestToken.secretValue.unsafeUnwrap(),
        },
      }),
      logRetention,
      logRemovalPolicy,
      logKey: logEncryptionKey(this, 'LogsKey', logRemovalPolicy),
    });
    const topic = alarmTopic(this, props.alarmEmail);
    this.webAcl.blockSpike.addAlarmAction(new actions.SnsAction(topic));
    this.webAcl.blockSpike.addOkAction(new actions.SnsAction(topic));

    if (props.domainName !== undefined && props.hostedZone !== undefined && props.certificateArn === undefined) {
      this.certificate = new acm.Certificate(this, 'Certificate', {
        domainName: props.domainName,
        validation: acm.CertificateValidation.fromDns(
          route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', props.hostedZone),
        ),
      });
    }
    // The IP set's Ref is `name|id|scope`, what `aws wafv2 update-ip-set` needs to unblock a client by hand.
    new CfnOutput(this, 'WafAllowList', {
      value: this.webAcl.allowList.ref,
      description: 'The WAF allow list, as name|id|scope',
    });
  }

  /** What the service stack of the same copy uses, read across regions. */
  get attachment(): EdgeAttachment {
    return {
      webAclArn: this.webAcl.webAcl.attrArn,
      waf: this.webAcl,
      certificate: this.certificate,
      // The resource's own Ref (its ARN), read across regions like the web ACL's: `secretArn` would ask for a
      // physical name to cross environments, which a generated secret does not have.
      loadTestTokenArn: this.loadTestToken && (this.loadTestToken.node.defaultChild as secretsmanager.CfnSecret).ref,
    };
  }
}
