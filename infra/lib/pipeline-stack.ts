import { CfnOutput, Duration, RemovalPolicy, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  buildImageSpec,
  cdkContextArgs,
  deploySpec,
  selfUpdateSpec,
  sharedStackSpec,
  smokeSpec,
  staticAnalysisSpec,
  unitTestSpec,
  withNodeRuntime,
  type BuildSpecObject,
} from './pipeline/buildspecs.ts';
import {
  acknowledgeArtifactAccess,
  acknowledgeDefaultLogGroup,
  acknowledgeEcrLogin,
  acknowledgeNodeImage,
} from './pipeline/acknowledgements.ts';
import { acknowledgeControl } from './checks.ts';
import { allowLogGroupsOfThisAccount, denyGrantsOutsideAwsServices } from './kms.ts';
import { AUDIT_RETENTION, acknowledgeLogBucket, acknowledgeShortRetention } from './log-storage.ts';
import { tagDeployedSpec } from './pipeline/tag-deployed.ts';
import { stackDescription } from './names.ts';

/** One environment as the pipeline deploys it: the app's own stacks, never names of the pipeline's making. */
export interface PipelineEnvironment {
  /** Title case, for stage names (Deploy-Staging); lower case, for the image's deployed-<name> tag. */
  readonly settings: { readonly id: string; readonly name: string };
  /** Deployed together, `--exclusively`, in dependency order. */
  readonly network: Stack;
  /** Its `ServiceUrl` output is the URL the smoke test checks. */
  readonly service: Stack;
}

export interface PipelineStackProps extends StackProps {
  /** The image repository: Build pushes to it, the service stacks pull from it. */
  readonly repository: ecr.IRepository;
  /** The stack that holds the repository: deployed once, before any environment. */
  readonly registryStack: Stack;
  /** Deployed in this order; a person approves each after the first, when requireApproval is set. */
  readonly environments: readonly PipelineEnvironment[];
  /** ARN of a CodeConnections (CodeStar) connection to GitHub, created and confirmed once in the console. */
  readonly connectionArn: string;
  /** GitHub owner (user or organisation) of the repository. */
  readonly owner: string;
  /** GitHub repository name. */
  readonly repo: string;
  /** The branch whose pushes run the pipeline. @default 'main' */
  readonly branch?: string;
  /** A person approves each environment after the first (between Smoke-Staging and Deploy-Production). @default true */
  readonly requireApproval?: boolean;
  /** Receives pipeline failures and approval requests. @default a new topic, encrypted with the pipeline's key */
  readonly notificationTopic?: sns.ITopic;
  /** Subscribed to the new topic; only when no notificationTopic is given. @default no subscription */
  readonly notificationEmail?: string;
  /**
   * CDK context every `cdk` command in the pipeline passes (`-c key=value`), so that the
   * pipeline synthesises the app exactly as the one-time manual deploy did.
   * `imageTag` is the pipeline's to set. @default {}
   */
  readonly cdkContext?: Readonly<Record<string, string>>;
  /** The qualifier of `cdk bootstrap` in this account and region. @default 'hnb659fds' (CDK's default) */
  readonly bootstrapQualifier?: string;
  /** How long CodeBuild logs are kept: the record of what reached production. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Docker's official Node 24 Debian image, from its ECR Public mirror (no Docker Hub pull limits):
 * Debian's `chromium` package installs there, as .ci/run and the GitHub workflow install it.
 */
export const NODE_BUILD_IMAGE = 'public.ecr.aws/docker/library/node:24-bookworm';

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;

/**
 * The delivery pipeline: Source → UpdatePipeline (the pipeline, then the Registry) → Test → Build → Deploy-Staging →
 * Smoke-Staging → Approve → Deploy-Production → Smoke-Production, one Deploy and Smoke pair per environment.
 * Deploys run `cdk deploy` with the image tag Build pushed, so CDK stays the only
 * owner of the task definition.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly notificationTopic: sns.ITopic;
  /** Encrypts the artifacts, the CodeBuild outputs and the new topic. */
  public readonly key: kms.Key;

  private readonly logRetention: logs.RetentionDays;
  private readonly artifactBucket: s3.Bucket;
  private readonly contextArgs: string;
  /** Projects that run `cdk deploy`, and so assume the bootstrap roles. */
  private readonly deployers: codebuild.IProject[] = [];
  private readonly bootstrapQualifier: string;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    validate(props);
    this.contextArgs = cdkContextArgs(props.cdkContext ?? {});
    this.logRetention = props.logRetention ?? AUDIT_RETENTION;
    this.bootstrapQualifier = props.bootstrapQualifier ?? 'hnb659fds';

    this.key = new kms.Key(this, 'Key', {
      description: stackDescription("the pipeline's artifacts, build outputs, build logs and notifications"),
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowLogGroupsOfThisAccount(this.key);
    denyGrantsOutsideAwsServices(this.key);
    this.notificationTopic = props.notificationTopic ?? this.createTopic(props.notificationEmail);
    this.artifactBucket = this.createArtifactBucket();
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactBucket,
      // The UpdatePipeline stage changes this pipeline; the run that did it restarts on the new definition.
      restartExecutionOnUpdate: true,
    });

    const source = this.addSource(props);
    this.addSelfUpdate(source.artifact, props.registryStack.stackName);
    this.addTest(source.artifact);
    const imageTag = this.addBuild(source, props.repository);
    const smoke = this.project('Smoke', smokeSpec(), { timeout: Duration.minutes(10) });
    // After a passed smoke test: tags the image deployed-<environment>-<time>, which the lifecycle policy keeps.
    const tagDeployed = this.project('TagDeployed', tagDeployedSpec(), {
      timeout: Duration.minutes(5),
      // The CodeBuild image carries the AWS CLI, which the Node image lacks.
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      environmentVariables: { REPOSITORY_NAME: { value: props.repository.repositoryName } },
    });
    props.repository.grant(tagDeployed, 'ecr:BatchGetImage', 'ecr:PutImage');
    for (const [index, environment] of props.environments.entries()) {
      const previous = props.environments[index - 1];
      if (previous !== undefined && (props.requireApproval ?? true)) this.addApproval(previous, environment);
      this.addEnvironment(environment, source.artifact, imageTag, smoke, tagDeployed);
    }

    this.grantAssumeBootstrapRoles();
    this.pipeline.notifyOn('Failed', this.notificationTopic, {
      events: [codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED],
    });
    // The pipeline role and its action roles (source, approval) read and write artifacts.
    acknowledgeArtifactAccess(this.pipeline, this.artifactBucket, 'read-write');

    new CfnOutput(this, 'PipelineName', { value: this.pipeline.pipelineName });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notificationTopic.topicArn });
  }

  private addSource(props: PipelineStackProps) {
    const artifact = new codepipeline.Artifact('Source');
    const action = new actions.CodeStarConnectionsSourceAction({
      actionName: 'GitHub',
      connectionArn: props.connectionArn,
      owner: props.owner,
      repo: props.repo,
      branch: props.branch ?? 'main',
      output: artifact,
      variablesNamespace: 'Source',
      triggerOnPush: true,
    });
    this.pipeline.addStage({ stageName: 'Source', actions: [action] });
    this.grantCodeConnectionsUse(props.connectionArn);
    return { artifact, commitId: action.variables.commitId };
  }

  /** The pipeline changes itself first; then the Registry, which every environment shares, is deployed once. */
  private addSelfUpdate(source: codepipeline.Artifact, registryStackName: string): void {
    const project = this.project('SelfUpdate', selfUpdateSpec(this.stackName, this.contextArgs), {
      timeout: Duration.minutes(30),
      npmCache: true,
    });
    const registry = this.project('DeployRegistry', sharedStackSpec(registryStackName, this.contextArgs), {
      timeout: Duration.minutes(30),
      npmCache: true,
      environmentVariables: { DRIFT_ROLE_ARN: { value: this.bootstrapRoleArn('lookup') } },
    });
    this.deployers.push(project, registry);
    this.grantAssumeLookupRole(registry);
    this.pipeline.addStage({
      stageName: 'UpdatePipeline',
      actions: [
        new actions.CodeBuildAction({ actionName: 'SelfMutate', project, input: source }),
        new actions.CodeBuildAction({ actionName: 'Registry', project: registry, input: source, runOrder: 2 }),
      ],
    });
  }

  private addTest(source: codepipeline.Artifact): void {
    const junit = this.reportGroup('JUnit', codebuild.ReportGroupType.TEST);
    const coverage = this.reportGroup('Coverage', codebuild.ReportGroupType.CODE_COVERAGE);
    const unitTest = this.project(
      'UnitTest',
      unitTestSpec({ junit: junit.reportGroupArn, coverage: coverage.reportGroupArn }),
      // Browser, load and container-recipe tests: two vCPUs at least, as on a developer's machine.
      { timeout: Duration.minutes(30), computeType: codebuild.ComputeType.MEDIUM, npmCache: true },
    );
    junit.grantWrite(unitTest);
    coverage.grantWrite(unitTest);
    const staticAnalysis = this.project('StaticAnalysis', staticAnalysisSpec(this.contextArgs), {
      timeout: Duration.minutes(20),
      npmCache: true,
    });
    // The same runOrder runs both at once; either failing fails the stage.
    this.pipeline.addStage({
      stageName: 'Test',
      actions: [
        new actions.CodeBuildAction({
          actionName: 'StaticAnalysis',
          project: staticAnalysis,
          input: source,
          runOrder: 1,
        }),
        new actions.CodeBuildAction({ actionName: 'UnitTest', project: unitTest, input: source, runOrder: 1 }),
      ],
    });
  }

  /** Returns the pipeline variable that names the pushed image's tag. */
  private addBuild(source: { artifact: codepipeline.Artifact; commitId: string }, repository: ecr.IRepository): string {
    const project = this.project('BuildImage', buildImageSpec(), {
      timeout: Duration.minutes(30),
      // A CodeBuild-managed image: it runs Docker, which privileged mode allows.
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      privileged: true,
      environmentVariables: { REPOSITORY_URI: { value: repository.repositoryUri } },
      writesArtifacts: true,
      dockerLayerCache: true,
    });
    repository.grantPullPush(project);
    acknowledgeEcrLogin(project);
    acknowledgeControl(
      project,
      'codebuild_project_environment_privileged_check',
      'docker build needs the Docker daemon, which CodeBuild runs only in privileged mode. The project builds ' +
        "only the repository's own Dockerfile, from the branch the pipeline watches.",
    );
    const action = new actions.CodeBuildAction({
      actionName: 'Image',
      project,
      input: source.artifact,
      outputs: [new codepipeline.Artifact('Image')],
      variablesNamespace: 'Build',
      environmentVariables: { COMMIT_ID: { value: source.commitId } },
    });
    this.pipeline.addStage({ stageName: 'Build', actions: [action] });
    return action.variable('IMAGE_TAG');
  }

  private addEnvironment(
    { settings, network, service }: PipelineEnvironment,
    source: codepipeline.Artifact,
    imageTag: string,
    smoke: codebuild.IProject,
    tagDeployed: codebuild.IProject,
  ): void {
    const environment = settings.id;
    const project = this.project(
      `Deploy${environment}`,
      deploySpec({
        stacks: [network.stackName, service.stackName],
        serviceStackName: service.stackName,
        contextArgs: this.contextArgs,
      }),
      // CloudFormation waits for the canary, its bake time and the rollback alarms.
      {
        timeout: Duration.minutes(90),
        npmCache: true,
        environmentVariables: { DRIFT_ROLE_ARN: { value: this.bootstrapRoleArn('lookup') } },
      },
    );
    this.deployers.push(project);
    this.grantAssumeLookupRole(project);
    const deploy = new actions.CodeBuildAction({
      actionName: 'Deploy',
      project,
      input: source,
      variablesNamespace: `Deploy${environment}`,
      environmentVariables: { IMAGE_TAG: { value: imageTag } },
    });
    this.pipeline.addStage({ stageName: `Deploy-${environment}`, actions: [deploy] });
    this.pipeline.addStage({
      stageName: `Smoke-${environment}`,
      actions: [
        new actions.CodeBuildAction({
          actionName: 'Smoke',
          project: smoke,
          input: source,
          environmentVariables: { SERVICE_URL: { value: deploy.variable('SERVICE_URL') } },
        }),
        new actions.CodeBuildAction({
          actionName: 'TagDeployed',
          project: tagDeployed,
          input: source,
          runOrder: 2,
          environmentVariables: {
            IMAGE_TAG: { value: imageTag },
            DEPLOY_ENVIRONMENT: { value: settings.name },
          },
        }),
      ],
    });
  }

  /** Before an environment: the one before it runs the new image and passed its smoke test. */
  private addApproval(previous: PipelineEnvironment, next: PipelineEnvironment): void {
    this.pipeline.addStage({
      stageName: `Approve-${next.settings.id}`,
      actions: [
        new actions.ManualApprovalAction({
          actionName: 'Approve',
          notificationTopic: this.notificationTopic,
          additionalInformation:
            `${previous.settings.id} runs image #{Build.IMAGE_TAG} and passed its smoke test at ` +
            `#{Deploy${previous.settings.id}.SERVICE_URL}. Promote it to ${next.settings.name}?`,
        }),
      ],
    });
  }

  /** `cdk drift` assumes no bootstrap role itself: drift-check.sh runs it as the read-only lookup role. */
  private grantAssumeLookupRole(project: codebuild.IProject): void {
    project.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.bootstrapRoleArn('lookup')] }),
    );
  }

  /**
   * CDK grants `codestar-connections:UseConnection`, but connections made since July 2024 have a
   * `codeconnections` ARN, and IAM only matches an action to an ARN with the same service prefix.
   */
  private grantCodeConnectionsUse(connectionArn: string): void {
    if (!Token.isUnresolved(connectionArn) && !connectionArn.includes(':codeconnections:')) return;
    // CDK names the role it made for the Source stage's GitHub action this way.
    const sourceRole = this.pipeline.node
      .findChild('Source')
      .node.findChild('GitHub')
      .node.findChild('CodePipelineActionRole');
    if (!iam.Role.isRole(sourceRole))
      throw new Error('the Source action has no role of its own to grant the connection to');
    sourceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['codeconnections:UseConnection'], resources: [connectionArn] }),
    );
  }

  private createTopic(email: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, 'Notifications', {
      displayName: stackDescription('pipeline notifications'),
      masterKey: this.key,
      enforceSSL: true,
    });
    // CodeStar Notifications publishes the failure events, so it needs the key, through SNS only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('codestar-notifications.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
      }),
    );
    if (email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  private createArtifactBucket(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'ArtifactsAccessLogs', {
      // Server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeLogBucket(accessLogs, 'S3 server access logging');
    const artifacts = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      // An overwritten or deleted artifact can be restored while the run that needs it may still be in flight.
      versioned: true,
      // Artifacts matter while a run is in flight; a month covers a paused approval.
      lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeControl(
      artifacts,
      's3_bucket_object_lock_enabled_check',
      'Artifacts are intermediate files of a run, rebuilt from the commit on every run and expired after 30 days; ' +
        'versioning restores an overwritten one. The release record is the immutable image tag in ECR.',
    );
    acknowledgeControl(
      artifacts,
      's3_event_notifications_enabled_check',
      'CodePipeline hands each artifact to the next action itself; nothing else reacts to a new object.',
    );
    return artifacts;
  }

  private reportGroup(id: string, type: codebuild.ReportGroupType): codebuild.ReportGroup {
    return new codebuild.ReportGroup(this, id, { type, removalPolicy: RemovalPolicy.DESTROY, deleteReports: true });
  }

  private project(
    id: string,
    buildSpec: BuildSpecObject,
    options: {
      readonly timeout: Duration;
      readonly buildImage?: codebuild.IBuildImage;
      readonly privileged?: boolean;
      readonly computeType?: codebuild.ComputeType;
      readonly environmentVariables?: Record<string, codebuild.BuildEnvironmentVariable>;
      /** The project produces an output artifact. @default false */
      readonly writesArtifacts?: boolean;
      /** Keep npm's download cache on the build host. @default false */
      readonly npmCache?: boolean;
      /** Keep Docker's layers on the build host (privileged builds only). @default false */
      readonly dockerLayerCache?: boolean;
    },
  ): codebuild.PipelineProject {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
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
    const project = new codebuild.PipelineProject(this, id, {
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

  /** A role `cdk bootstrap` made in this account and region: deploy, file-publishing, lookup. */
  private bootstrapRoleArn(role: string): string {
    return `arn:${this.partition}:iam::${this.account}:role/cdk-${this.bootstrapQualifier}-${role}-role-${this.account}-${this.region}`;
  }

  /**
   * `cdk deploy` runs as the CodeBuild role and assumes the roles `cdk bootstrap` made:
   * the deploy role (CloudFormation) and the file-publishing role (assets). Nothing else.
   */
  private grantAssumeBootstrapRoles(): void {
    const roleArns = ['deploy', 'file-publishing'].map((role) => this.bootstrapRoleArn(role));
    for (const project of this.deployers) {
      project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: roleArns }));
    }
  }
}

function localCache(options: { readonly npmCache?: boolean; readonly dockerLayerCache?: boolean }) {
  const modes = [
    ...(options.npmCache === true ? [codebuild.LocalCacheMode.CUSTOM] : []),
    ...(options.dockerLayerCache === true ? [codebuild.LocalCacheMode.DOCKER_LAYER] : []),
  ];
  return modes.length === 0 ? codebuild.Cache.none() : codebuild.Cache.local(...modes);
}

function validate(props: PipelineStackProps): void {
  if (props.environments.length === 0) throw new Error('environments is empty: the pipeline has nothing to deploy');
  if (!Token.isUnresolved(props.connectionArn) && !CONNECTION_ARN.test(props.connectionArn)) {
    throw new Error(
      `connectionArn "${props.connectionArn}" is not a CodeConnections connection ARN: expected arn:aws:codeconnections:<region>:<account>:connection/<id>`,
    );
  }
  if (props.owner === '' || props.repo === '') {
    throw new Error('owner and repo name the GitHub repository: both are required');
  }
  if (props.notificationTopic !== undefined && props.notificationEmail !== undefined) {
    throw new Error(
      'notificationEmail subscribes to the topic the stack creates: give it or notificationTopic, not both',
    );
  }
  if (props.cdkContext !== undefined && 'imageTag' in props.cdkContext) {
    throw new Error('cdkContext must not set imageTag: each deploy passes the tag the Build stage pushed');
  }
}
