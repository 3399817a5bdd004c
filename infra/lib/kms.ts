import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * Denies kms:CreateGrant to anyone but an AWS service acting for an AWS resource (Control Tower CT.KMS.PR.3):
 * a grant outlives the policy review that allowed it, so only services that need one (EBS, Secrets Manager ...) get it.
 */
export function denyGrantsOutsideAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyGrantsNotForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/**
 * A key for CloudWatch Logs to encrypt this stack's log groups with. It must live as long as the logs it encrypts,
 * hence the same removal policy: a deleted key leaves retained logs unreadable.
 */
export function logEncryptionKey(scope: Construct, id: string, removalPolicy: RemovalPolicy): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, id, {
    description: `Encrypts the CloudWatch log groups of ${stack.stackName}`,
    enableKeyRotation: true,
    removalPolicy,
  });
  allowLogGroupsOfThisAccount(key);
  denyGrantsOutsideAwsServices(key);
  return key;
}

/** CloudWatch Logs uses the key only for log groups of this account and region (the encryption context names them). */
export function allowLogGroupsOfThisAccount(key: kms.Key): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
}
