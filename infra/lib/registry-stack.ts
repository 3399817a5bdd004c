import { CfnOutput, CrossStackReferences, ReferenceStrength, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { imageLifecycleRules, type ImageLifecycleProps } from './registry/image-lifecycle.ts';
import { ImageScanning } from './registry/image-scanning.ts';
import { ImageSigning } from './registry/image-signing.ts';

export interface RegistryStackProps extends StackProps, Partial<ImageLifecycleProps> {
  /**
   * A fixed name, for stacks that pull by name from another account or region.
   * @default - CloudFormation generates one (every puller is in this account and region, through a strong reference)
   */
  readonly repositoryName?: string;
  /** Accounts other than this one whose workloads pull the image; none other may. @default [] */
  readonly pullAccounts?: readonly string[];
  /** Regions ECR replicates the repository to, in this account, for the workloads there. @default [] */
  readonly replicaRegions?: readonly string[];
}

/** ECR's actions for pulling an image: what an ECS task's execution role does through the repository policy. */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];

/**
 * The ECR repository that every environment pulls from: the pipeline builds an image once and
 * promotes the same tag from staging to production.
 */
export class RegistryStack extends Stack {
  public readonly repository: ecr.IRepository;
  /** ECR signs every pushed image with its profile; the pipeline verifies that signature before each deploy. */
  public readonly signing: ImageSigning;

  constructor(scope: Construct, id: string, props: RegistryStackProps = {}) {
    super(scope, id, props);
    const pullAccounts = props.pullAccounts ?? [];
    const replicaRegions = props.replicaRegions ?? [];
    if ((pullAccounts.length > 0 || replicaRegions.length > 0) && props.repositoryName === undefined) {
      throw new Error('pullAccounts and replicaRegions pull the image by name: give repositoryName too');
    }
    if (replicaRegions.includes(this.region)) {
      throw new Error(`replicaRegions names ${this.region}, the repository's own region: ECR replicates elsewhere`);
    }

    const repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
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
    this.signing = new ImageSigning(this, 'Signing', { repository });
    new ImageScanning(this, 'Scanning', { repository });

    const pullers = pullAccounts.map((account) => new iam.AccountPrincipal(account));
    for (const principal of pullers) repository.grantPull(principal);
    if (replicaRegions.length > 0 && props.repositoryName !== undefined) {
      this.replicate(props.repositoryName, replicaRegions, pullers);
    }

    new CfnOutput(this, 'RepositoryName', { value: repository.repositoryName });
    new CfnOutput(this, 'RepositoryUri', { value: repository.repositoryUri });
    new CfnOutput(this, 'SigningProfileArn', { value: this.signing.profile.signingProfileArn });
  }

  /**
   * ECR copies every pushed image to each region, where the workloads there pull it. ECR creates the replica
   * repository itself; the creation template gives it what this one has: immutable tags, KMS, the pull policy.
   * The replication configuration is the account's (one a registry): a second app replicating from the same
   * account must merge its rules into this one.
   */
  private replicate(name: string, regions: readonly string[], pullers: readonly iam.AccountPrincipal[]): void {
    new ecr.CfnReplicationConfiguration(this, 'Replication', {
      replicationConfiguration: {
        rules: [
          {
            destinations: regions.map((region) => ({ region, registryId: this.account })),
            repositoryFilters: [{ filter: name, filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
    const policy =
      pullers.length === 0
        ? undefined
        : this.toJsonString(
            new iam.PolicyDocument({
              statements: [new iam.PolicyStatement({ principals: [...pullers], actions: PULL_ACTIONS })],
            }),
          );
    new ecr.CfnRepositoryCreationTemplate(this, 'ReplicaTemplate', {
      prefix: name,
      appliedFor: ['REPLICATION'],
      description: `The replicas of ${name}, in the regions the workloads run in`,
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: { encryptionType: 'KMS' },
      repositoryPolicy: policy,
    });
  }
}
