import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';

export interface RegistryStackProps extends StackProps {
  /**
   * Images kept, newest first. An image older than this is deleted even if an environment still runs it,
   * and a task replaced later could not pull it: keep it above the builds between two production deploys.
   * @default 50
   */
  readonly maxImageCount?: number;
}

/**
 * The ECR repository that every environment pulls from: the pipeline builds an image once and
 * promotes the same tag from staging to production.
 */
export class RegistryStack extends Stack {
  public readonly repository: ecr.IRepository;

  constructor(scope: Construct, id: string, props: RegistryStackProps = {}) {
    super(scope, id, props);
    const maxImageCount = props.maxImageCount ?? 50;
    if (!Number.isInteger(maxImageCount) || maxImageCount < 1) {
      throw new Error(`${id}: maxImageCount must be a whole number of at least 1, got ${maxImageCount}`);
    }

    const repository = new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true,
      // A tag names exactly one image forever, so a deployed version can be pulled again unchanged.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      // The AWS managed key (aws/ecr): KMS encryption at rest with no key policy for pushers and pullers to manage.
      encryption: ecr.RepositoryEncryption.KMS,
      // Images are release artifacts: deleting the stack must not delete what an environment runs.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          description: 'Untagged images are layers of interrupted or superseded pushes',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(1),
        },
        {
          description: `Keep the newest ${maxImageCount} images`,
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount,
        },
      ],
    });
    this.repository = repository;
    // Exported: CloudFormation then refuses to delete this stack while a service or the pipeline uses the
    // repository (docs/decisions/cross-stack-references.md).
    CrossStackReferences.of(repository).produce(ReferenceStrength.STRONG);

    new CfnOutput(this, 'RepositoryName', { value: repository.repositoryName });
    new CfnOutput(this, 'RepositoryUri', { value: repository.repositoryUri });
  }
}
