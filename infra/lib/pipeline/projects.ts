/**
 * The pipeline's CodeBuild projects, each with its own encrypted, retained log group: one factory, so that every
 * project gets the same image, key, timeouts and acknowledgements.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeShortRetention } from '../log-storage.ts';
import type { Architecture } from '../service/image-contract.ts';
import { acknowledgeArtifactAccess, acknowledgeDefaultLogGroup, acknowledgeNodeImage } from './acknowledgements.ts';
import { withNodeRuntime, type BuildSpecObject } from './buildspecs.ts';

/**
 * Docker's official Node 24 Debian image, from its ECR Public mirror (no Docker Hub pull limits):
 * Debian's `chromium` package installs there, as .ci/run and the GitHub workflow install it. A fixed release, the
 * one the `node` devDependency pins (test/workflows.test.ts holds them together), not the moving `24-bookworm`.
 */
export const NODE_BUILD_IMAGE = 'public.ecr.aws/docker/library/node:24.21.0-bookworm';

/**
 * The CodeBuild-managed image that builds the container image on each architecture (Docker builds for its host).
 * Fixed versions, not a moving alias; both select the Node.js 24 runtime (runtimes.yml in
 * aws/aws-codebuild-docker-images: ubuntu/standard/7.0 and al/aarch64/standard/3.0).
 */
export const IMAGE_BUILD_ENVIRONMENT: Readonly<Record<Architecture, codebuild.IBuildImage>> = {
  amd64: codebuild.LinuxBuildImage.STANDARD_7_0,
  arm64: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
};

export interface ProjectOptions {
  readonly timeout: Duration;
  /** @default NODE_BUILD_IMAGE */
  readonly buildImage?: codebuild.IBuildImage;
  /** @default false */
  readonly privileged?: boolean;
  /** @default codebuild.ComputeType.SMALL */
  readonly computeType?: codebuild.ComputeType;
  readonly environmentVariables?: Record<string, codebuild.BuildEnvironmentVariable>;
  /** The project produces an output artifact. @default false */
  readonly writesArtifacts?: boolean;
  /** Keep npm's download cache on the build host. @default false */
  readonly npmCache?: boolean;
  /** Keep Docker's layers on the build host (privileged builds only). @default false */
  readonly dockerLayerCache?: boolean;
}

export class ProjectFactory {
  private readonly scope: Construct;
  private readonly key: kms.IKey;
  private readonly artifactBucket: s3.IBucket;
  private readonly logRetention: logs.RetentionDays;

  constructor(scope: Construct, key: kms.IKey, artifactBucket: s3.IBucket, logRetention: logs.RetentionDays) {
    this.scope = scope;
    this.key = key;
    this.artifactBucket = artifactBucket;
    this.logRetention = logRetention;
  }

  project(id: string, buildSpec: BuildSpecObject, options: ProjectOptions): codebuild.PipelineProject {
    const logGroup = new logs.LogGroup(this.scope, `${id}Logs`, {
      retention: this.logRetention,
      // The record of what reached production outlives the pipeline; the key that encrypts it is retained too.
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: this.key,
    });
    acknowledgeShortRetention(
      logGroup,
      this.logRetention,
      'Build logs',
      'as the logRetention prop of this stack asks, shorter than the year that the default keeps.',
    );
    const project = new codebuild.PipelineProject(this.scope, id, {
      buildSpec: codebuild.BuildSpec.fromObject(
        options.buildImage === undefined ? buildSpec : withNodeRuntime(buildSpec),
      ),
      environment: {
        buildImage: options.buildImage ?? codebuild.LinuxBuildImage.fromDockerRegistry(NODE_BUILD_IMAGE),
        computeType: options.computeType ?? codebuild.ComputeType.SMALL,
        privileged: options.privileged ?? false,
      },
      environmentVariables: options.environmentVariables,
      encryptionKey: this.key,
      timeout: options.timeout,
      queuedTimeout: Duration.hours(1),
      cache: localCache(options),
      logging: { cloudWatch: { logGroup } },
      // The UnitTest project writes to its own report groups, granted one by one.
      grantReportGroupPermissions: false,
    });
    acknowledgeDefaultLogGroup(project);
    acknowledgeArtifactAccess(project, this.artifactBucket, options.writesArtifacts === true ? 'read-write' : 'read');
    if (options.buildImage === undefined) acknowledgeNodeImage(project);
    return project;
  }

  reportGroup(id: string, type: codebuild.ReportGroupType): codebuild.ReportGroup {
    return new codebuild.ReportGroup(this.scope, id, {
      type,
      removalPolicy: RemovalPolicy.DESTROY,
      deleteReports: true,
    });
  }
}

function localCache(options: { readonly npmCache?: boolean; readonly dockerLayerCache?: boolean }) {
  const modes = [
    ...(options.npmCache === true ? [codebuild.LocalCacheMode.CUSTOM] : []),
    ...(options.dockerLayerCache === true ? [codebuild.LocalCacheMode.DOCKER_LAYER] : []),
  ];
  return modes.length === 0 ? codebuild.Cache.none() : codebuild.Cache.local(...modes);
}
