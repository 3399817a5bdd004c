/** The topic the pipeline notifies: failed runs and approval requests, encrypted with the pipeline's key. */
import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { stackDescription } from '../names.ts';

export function notificationTopic(scope: Stack, key: kms.IKey, email: string | undefined): sns.Topic {
  const topic = new sns.Topic(scope, 'Notifications', {
    displayName: stackDescription('pipeline notifications'),
    masterKey: key,
    enforceSSL: true,
  });
  // CodeStar Notifications publishes the failure events, so it needs the key, through SNS only.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('codestar-notifications.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${scope.region}.amazonaws.com` } },
    }),
  );
  if (email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}
