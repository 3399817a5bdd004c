/**
 * The cdk-nag findings the pipeline accepts, one call per construct, each with its reason.
 * Every one comes from a CDK grant*() or from a CDK default that has no narrower form;
 * test/infra/pipeline-nag.test.ts lists them, so that a new one cannot slip in.
 */
import { Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}

/** A pseudo parameter as cdk-nag prints it in a finding: its value when the stack knows it, else `<AWS::Name>`. */
function pseudo(value: string, name: string): string {
  return Token.isUnresolved(value) ? `<AWS::${name}>` : value;
}

/** The wildcards of CDK's grants on the artifacts bucket and the key that encrypts it. */
export function acknowledgeArtifactAccess(scope: IConstruct, bucket: s3.IBucket, access: 'read' | 'read-write'): void {
  const reads = 'CDK grantRead on the pipeline artifacts bucket only: reads the input artifact of a run';
  const writes = 'CDK grantReadWrite on the pipeline artifacts bucket only: writes the output artifact of a run';
  Validations.of(scope).acknowledge(
    { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: reads },
    { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: reads },
    { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: reads },
    {
      id: `AwsSolutions-IAM5[Resource::<${logicalId(bucket)}.Arn>/*]`,
      reason: 'The objects of the pipeline artifacts bucket: CodePipeline names a new key for every run',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason: 'CDK key grant on the pipeline key only, which encrypts the artifacts',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'CDK key grant on the pipeline key only, which encrypts the artifacts and the notification topic',
    },
  );
  if (access === 'read-write') {
    Validations.of(scope).acknowledge(
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: writes },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: writes },
    );
  }
}

/** CDK's CodeBuild project always grants writes to its default log group, even when it logs elsewhere. */
export function acknowledgeDefaultLogGroup(project: codebuild.Project): void {
  const stack = Stack.of(project);
  const arn =
    `arn:${pseudo(stack.partition, 'Partition')}:logs:${pseudo(stack.region, 'Region')}:` +
    `${pseudo(stack.account, 'AccountId')}:log-group:/aws/codebuild/<${logicalId(project)}>:*`;
  Validations.of(project).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${arn}]`,
    reason:
      "CDK's CodeBuild project always grants writes to its own default log group; ':*' names the log streams of that one group",
  });
}

export function acknowledgeNodeImage(project: codebuild.Project): void {
  Validations.of(project).acknowledge({
    id: 'AwsSolutions-CB5',
    reason:
      "The official Node 24 Debian image (ECR Public mirror of Docker's official image): the same Node and the same Debian " +
      'Chromium package as .ci/run and the GitHub workflow, which the CodeBuild-managed images do not offer',
  });
}

export function acknowledgeEcrLogin(project: codebuild.Project): void {
  Validations.of(project).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken (docker login) has no resource-level permission; pulls and pushes are granted on our repository only',
  });
}
