import { Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import { bundleCheck } from '../../canary/bundle.ts';
import { acknowledgeControl } from '../checks.ts';
import { denyGrantsOutsideAwsServices } from '../kms.ts';

export interface SyntheticCheckProps {
  /** What the canary calls, e.g. https://clock.example.com: the load balancer, as clients reach it. */
  readonly serviceUrl: string;
  /** The canary runs in its private subnets and leaves through NAT, as a client on the internet would arrive. */
  readonly vpc: ec2.IVpc;
  /** Receives the server access logs of the artifacts bucket (an SSE-S3 bucket: S3 delivers only there). */
  readonly accessLogBucket: s3.IBucket;
  /** @default Duration.days(14) */
  readonly artifactRetention?: Duration;
}

/** One run every 5 minutes; the alarm below looks at one such period. */
export const SYNTHETIC_CHECK_RATE = Duration.minutes(5);
/** How long the failure alarm looks: one period holds one run (with its retry). */
export const SYNTHETIC_CHECK_ALARM_WINDOW = SYNTHETIC_CHECK_RATE;

/**
 * syn-nodejs-puppeteer-13.0: Node.js 22, the newest Puppeteer runtime aws-cdk-lib 2.276 names, and the last one whose
 * modules are still called `Synthetics` and `SyntheticsLogger` (13.1 moves them to @aws/synthetics-*, which
 * infra/canary/synthetics.d.ts and tools/synthetics-local would then follow). The Puppeteer runtimes carry
 * executeHttpStep, the API canary call; the check itself opens no browser.
 */
export const CANARY_RUNTIME = synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0;

/**
 * The outside-in check: a CloudWatch Synthetics canary running infra/canary/check.ts against the service URL,
 * its artifacts bucket, and the alarm that fires when a run fails (the stack notifies and rolls back on it).
 */
export class SyntheticCheck extends Construct {
  public readonly canary: synthetics.Canary;
  /** A failed run in the last period. Rolls back a deployment in progress. */
  public readonly failedAlarm: cloudwatch.Alarm;
  public readonly artifactsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SyntheticCheckProps) {
    super(scope, id);

    const key = new kms.Key(this, 'ArtifactsKey', {
      description: `Encrypts the synthetic check's artifacts in ${Stack.of(this).stackName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    denyGrantsOutsideAwsServices(key);
    const retention = props.artifactRetention ?? Duration.days(14);
    // Meets the Control Tower S3 proactive controls but two, acknowledged below: public access block, access
    // logging, versioning with a lifecycle, TLS only and SSE-KMS.
    this.artifactsBucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned, as the Control Tower S3 controls ask; the lifecycle rule bounds what old versions cost.
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'synthetic-check-artifacts/',
      lifecycleRules: [
        {
          expiration: retention,
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: false,
        },
      ],
      // Run reports are diagnostics of the day, not records: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    acknowledgeControl(
      this.artifactsBucket,
      's3_event_notifications_enabled_check',
      'Nothing reacts to a new run report: reports are read on demand from the console when a run fails.',
    );
    acknowledgeControl(
      this.artifactsBucket,
      's3_bucket_object_lock_enabled_check',
      "Object Lock makes every PUT carry a checksum header that Synthetics' uploads are not documented to send, " +
        'and it would hold diagnostics past the lifecycle expiry that bounds their cost.',
    );

    // Named here, not by CloudFormation, so that the alarm names the canary without referencing it: the service lists
    // the alarm while the canary waits for the service (ServiceStack). Synthetics allows 21 characters.
    const canaryName = Names.uniqueResourceName(this, { maxLength: 21, separator: '-' }).toLowerCase();
    // Out to the load balancer (HTTP or HTTPS), S3 and CloudWatch (HTTPS); nothing may connect in.
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Synthetic check: HTTP and HTTPS out, nothing in',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: the service, S3 and CloudWatch');
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP: the service without a certificate');
    this.canary = new synthetics.Canary(this, 'Canary', {
      canaryName,
      runtime: CANARY_RUNTIME,
      test: synthetics.Test.custom({ code: synthetics.Code.fromInline(bundleCheck()), handler: 'index.handler' }),
      schedule: synthetics.Schedule.rate(SYNTHETIC_CHECK_RATE),
      // A run that fails is retried once within its period, so a single lost packet does not roll a deployment back.
      maxRetries: 1,
      timeout: Duration.seconds(60),
      environmentVariables: { SERVICE_URL: props.serviceUrl },
      artifactsBucketLocation: { bucket: this.artifactsBucket },
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.KMS,
      artifactS3KmsKey: key,
      successRetentionPeriod: retention,
      failureRetentionPeriod: retention,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      securityGroups: [securityGroup],
      provisionedResourceCleanup: true,
    });

    acknowledgeCanaryRole(this.canary.role);

    this.failedAlarm = new cloudwatch.Alarm(this, 'Failed', {
      alarmDescription:
        'The synthetic check failed: one of the checks in src/identity.ts, through the load balancer, did not get ' +
        'the expected answer, after one retry. Rolls back a deployment in progress.',
      // canary.metricFailed() would name the canary by reference, and close a dependency cycle.
      metric: new cloudwatch.Metric({
        namespace: 'CloudWatchSynthetics',
        metricName: 'Failed',
        dimensionsMap: { CanaryName: canaryName },
        period: SYNTHETIC_CHECK_ALARM_WINDOW,
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** The role CDK's Canary makes (the policy the Synthetics documentation lists), finding by finding. */
function acknowledgeCanaryRole(role: iam.IRole): void {
  const acknowledge = (id: string, reason: string) => Validations.of(role).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    "The AWS managed policy for a Lambda function in a VPC: creating, describing and deleting the function's own " +
      'network interfaces in the private subnets, which EC2 cannot scope to resources that do not exist yet.',
  );
  acknowledge(
    'AwsSolutions-IAM5[Resource::*]',
    's3:ListAllMyBuckets, which the Synthetics runtime calls before it uploads, has no resource-level permissions, and ' +
      'cloudwatch:PutMetricData has none either; the policy limits the latter to the CloudWatchSynthetics namespace.',
  );
  acknowledge(
    'AwsSolutions-IAM5[Resource::<SyntheticCheckArtifactsC614715D.Arn>/*]',
    'Each run writes its report, HAR file and log under a new key named by date and run id, so the canary may put ' +
      'any object in its own artifacts bucket, and nothing else: the action is s3:PutObject only.',
  );
  // cdk-nag names the finding by the ARN as rendered: the account is a token unless the stack names it.
  const { account, region } = Stack.of(role);
  const renderedAccount = Token.isUnresolved(account) ? '<AWS::AccountId>' : account;
  acknowledge(
    `AwsSolutions-IAM5[Resource::arn:aws:logs:${region}:${renderedAccount}:log-group:/aws/lambda/cwsyn-*]`,
    "The canary's Lambda function is created by Synthetics with a generated suffix (cwsyn-<name>-<id>), so its log " +
      'group is known only by this prefix; the actions are those that create and write log streams.',
  );
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledge(
      `AwsSolutions-IAM5[Action::${action}]`,
      "CDK's Canary grants encrypt and decrypt on the artifacts key it is given. The key is this check's own and " +
        'encrypts nothing but its artifacts, so the wildcard actions reach nothing else.',
    );
  }
}
