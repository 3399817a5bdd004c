import { CfnOutput, CrossStackReferences, ReferenceStrength, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { imageLifecycleRules, type ImageLifecycleProps } from './registry/image-lifecycle.ts';

export interface RegistryStackProps extends StackProps, Partial<ImageLifecycleProps> {}

/**
 * The ECR repository that every environment pulls from: the pipeline builds an image once and
 * promotes the same tag from staging to production.
 */
export class RegistryStack extends Stack {
  public readonly repository: ecr.IRepository;

  constructor(scope: Construct, id: string, props: RegistryStackProps = {}) {
    super(scope, id, props);

    const repository = new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true,
      // A tag names exactly one image forever, so a deployed version can be pulled again unchanged.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      // The AWS managed key (aws/ecr): KMS encryption at rest with no key policy for pushers and pullers to manage.
      encryption: ecr.RepositoryEncryption.KMS,
      // Images are release artifacts: deleting the stack must not delete what an environment runs.
      removalPolicy: RemovalPolicy.RETAIN,
      // Images an environment ran stay for a rollback; the others expire (image-lifecycle.ts).
      lifecycleRules: imageLifecycleRules({ ...props, environments: props.environments ?? ['staging', 'production'] }),
    });
    this.repository = repository;
    // Exported: CloudFormation then refuses to delete this stack while a service or the pipeline uses the
    // repository (docs/decisions/cross-stack-references.md).
    CrossStackReferences.of(repository).produce(ReferenceStrength.STRONG);

    new CfnOutput(this, 'RepositoryName', { value: repository.repositoryName });
    new CfnOutput(this, 'RepositoryUri', { value: repository.repositoryUri });
  }
}
