import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { denyGrantsOutsideAwsServices } from '../kms.ts';

/**
 * An SNS topic that this region's CloudWatch alarms may publish to, encrypted with a key of its own, and its email
 * subscription. One per region that holds alarms: an alarm can notify only a topic in its own region.
 */
export function alarmTopic(scope: Construct, alarmEmail: string | undefined): sns.Topic {
  // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, hence a key of our own.
  const key = new kms.Key(scope, 'TopicKey', {
    description: `Encrypts the alarm topic of ${Stack.of(scope).stackName}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  denyGrantsOutsideAwsServices(key);
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
  const topic = new sns.Topic(scope, 'Topic', { masterKey: key, enforceSSL: true });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': Stack.of(scope).formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  if (alarmEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
  return topic;
}
