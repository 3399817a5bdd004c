import { Stack, Validations } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../checks.ts';

export interface CacheInvalidationProps {
  /** The handler runs in its private subnets and reaches the CloudFront API through NAT. */
  readonly vpc: ec2.IVpc;
  /** The handler's log group: the stack's, encrypted with its key. */
  readonly logGroup: logs.ILogGroup;
  readonly distribution: cloudfront.IDistribution;
  /** CloudFront invalidation paths, e.g. /clock* (a trailing * covers every query string). */
  readonly paths: readonly string[];
  /** A new value invalidates again: the image tag, so that each deploy of a new revision invalidates once. */
  readonly revision: string;
}

/**
 * A CloudFront invalidation of the cached paths, made by CloudFormation whenever `revision` changes. In the stack
 * rather than in the pipeline, so that a deploy by hand invalidates too, and so that it runs after what it depends
 * on (the ECS deployment) has finished. The handler is CDK's AwsCustomResource, allowed this one call on this one
 * distribution.
 */
export class CacheInvalidation extends Construct {
  constructor(scope: Construct, id: string, props: CacheInvalidationProps) {
    super(scope, id);
    const call: cr.AwsSdkCall = {
      service: 'CloudFront',
      action: 'createInvalidation',
      parameters: {
        DistributionId: props.distribution.distributionId,
        InvalidationBatch: {
          // Unique per revision: CloudFront treats a repeated reference as the same request.
          CallerReference: props.revision,
          Paths: { Quantity: props.paths.length, Items: [...props.paths] },
        },
      },
      physicalResourceId: cr.PhysicalResourceId.of(`invalidation-${props.revision}`),
    };
    new cr.AwsCustomResource(this, 'Invalidation', {
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      logGroup: props.logGroup,
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['cloudfront:CreateInvalidation'],
          resources: [
            Stack.of(this).formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: props.distribution.distributionId,
            }),
          ],
        }),
      ]),
      // The SDK of the Lambda runtime: no download from npm while a stack deploys.
      installLatestAwsSdk: false,
    });
    // AwsCustomResource's handler is one SingletonFunction per stack, under this fixed id of aws-cdk-lib's.
    const handler = Stack.of(this).node.findChild('AWS679f53fac002430cb0da5b7982bd2287');
    for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
      Validations.of(handler).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason:
          `${policy} on aws-cdk-lib's AwsCustomResource handler: its own log writes and the network interfaces ` +
          'it needs in the VPC; its one call is allowed by a statement of its own on this distribution.',
      });
    }
    acknowledgeControl(
      handler,
      'lambda_inside_vpc_check',
      "The handler runs in the VPC's private subnets; the rule cannot see it because their ids are imported from " +
        'the network stack (Fn::ImportValue), a form the rule does not recognise as a subnet id.',
    );
  }
}
