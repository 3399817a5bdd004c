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
import type { Construct } from 'constructs';
import {
  acceptanceSpec,
  bakeSpec,
  loadTestSpec,
  resilienceSpec,
  buildImageSpec,
  cdkContextArgs,
  smokeSpec,
  staticAnalysisSpec,
  unitTestSpec,
  type BuildSpecObject,
} from './pipeline/buildspecs.ts';
import { acknowledgeArtifactAccess, acknowledgeEcrLogin } from './pipeline/acknowledgements.ts';
import { artifactBucket } from './pipeline/artifacts.ts';
import { DeliveryMetrics } from './pipeline/delivery-metrics.ts';
import { Deployers } from './pipeline/deployers.ts';
import { notificationTopic } from './pipeline/notifications.ts';
import { DEFAULT_QUALIFIER } from './pipeline/bootstrap-roles.ts';
import { IMAGE_BUILD_ENVIRONMENT, ProjectFactory, type ProjectOptions } from './pipeline/projects.ts';
import { planWaves, unitNames, type PipelineEnvironment, type PipelineUnit, type WavePlan } from './pipeline/waves.ts';
import type { LoadTestSettings } from './load-test.ts';
import { acknowledgeControl } from './checks.ts';
import { allowLogGroupsOfThisAccount, denyGrantsOutsideAwsServices } from './kms.ts';
import { AUDIT_RETENTION } from './log-storage.ts';
import { tagDeployedSpec } from './pipeline/tag-deployed.ts';
import { promotionCheckRoleName, stackDescription } from './names.ts';
import { IMAGE_CONTRACT } from './service/image-contract.ts';

export type { PipelineEnvironment, PipelineUnit } from './pipeline/waves.ts';
export { NODE_BUILD_IMAGE } from './pipeline/projects.ts';
import { verifySignatureProject } from './pipeline/steps/verify-signature.ts';
import type { ImageSigning } from './registry/image-signing.ts';

export interface PipelineStackProps extends StackProps {
  /** The image repository: Build pushes to it, the service stacks pull from it. */
  readonly repository: ecr.IRepository;
  /** The stack that holds the repository: deployed once, before any environment. */
  readonly registryStack: Stack;
  /** The repository's signing: Build's pushes are signed with its profile, and each deploy verifies that signature. */
  readonly signing: ImageSigning;
  /**
   * Deployed in this order, each wave by wave (pipeline/waves.ts); a person approves each environment after the
   * first, when requireApproval is set.
   */
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
  /**
   * The ARN of an IAM role in this account that may approve: it gets codepipeline:PutApprovalResult on the approval
   * actions. Whoever else holds that permission can still approve (docs/ci-cd.md gives the policy that denies them).
   * @default no role is granted it here
   */
  readonly approverRoleArn?: string;
  /** How long the services of a wave run before the next wave of the same environment starts. @default 30 minutes */
  readonly waveBakeTime?: Duration;
  /** Receives pipeline failures and approval requests. @default a new topic, encrypted with the pipeline's key */
  readonly notificationTopic?: sns.ITopic;
  /** Subscribed to the new topic; only when no notificationTopic is given. @default no subscription */
  readonly notificationEmail?: string;
  /**
   * CDK context every `cdk` command in the pipeline passes (`-c key=value`), so that the
   * pipeline synthesises the app exactly as the one-time manual deploy did.
   * `imageTag` and `imageDigest` are the pipeline's to set. @default {}
   */
  readonly cdkContext?: Readonly<Record<string, string>>;
  /** The qualifier of `cdk bootstrap` in every account and region. @default 'hnb659fds' (CDK's default) */
  readonly bootstrapQualifier?: string;
  /** How long CodeBuild logs are kept: the record of what reached production. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The pipeline variables that name the image the Build stage pushed. */
interface PushedImage {
  readonly tag: string;
  readonly digest: string;
}

/**
 * The delivery pipeline: Source → Test → UpdatePipeline (the pipeline, then the Registry) → Build → Deploy-Staging →
 * Smoke-Staging → Approve-Production → Deploy-Production → Smoke-Production, one Deploy and Smoke pair per wave of
 * each environment (pipeline/waves.ts), a bake between waves. The pipeline changes itself only after the tests pass.
 * Deploys run `cdk deploy` with the image tag Build pushed, so CDK stays the only owner of the task definition.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly notificationTopic: sns.ITopic;
  /** Encrypts the artifacts, the CodeBuild outputs and the new topic. */
  public readonly key: kms.Key;

  /** The CodeBuild projects that run `cdk deploy`, and where each deploys: only there may it assume roles. */
  public readonly deployers: Deployers;

  private readonly artifactBucket: s3.Bucket;
  private readonly projects: ProjectFactory;
  private readonly contextArgs: string;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    validate(props);

    this.key = new kms.Key(this, 'Key', {
      description: stackDescription("the pipeline's artifacts, build outputs, build logs and notifications"),
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowLogGroupsOfThisAccount(this.key);
    denyGrantsOutsideAwsServices(this.key);
    this.notificationTopic = props.notificationTopic ?? notificationTopic(this, this.key, props.notificationEmail);
    this.artifactBucket = artifactBucket(this, this.key);
    this.projects = new ProjectFactory(this, this.key, this.artifactBucket, props.logRetention ?? AUDIT_RETENTION);
    this.contextArgs = cdkContextArgs(props.cdkContext ?? {});
    this.deployers = new Deployers(
      this,
      this.projects,
      props.bootstrapQualifier ?? DEFAULT_QUALIFIER,
      this.contextArgs,
    );
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactBucket,
      // The UpdatePipeline stage changes this pipeline; the run that did it restarts on the new definition.
      restartExecutionOnUpdate: true,
    });

    const source = this.addSource(props);
    // The tests first: an untested commit cannot rewrite the pipeline or the registry.
    this.addTest(source.artifact);
    this.addSelfUpdate(source.artifact, props.registryStack.stackName);
    const image = this.addBuild(source, props.repository, props.signing);
    const verifySignature = verifySignatureProject(this.projects, props.repository, props.signing);
    const smoke = this.project('Smoke', smokeSpec(), { timeout: Duration.minutes(10) });
    // After a passed smoke test: tags the image deployed-<environment>-<time>, which the lifecycle policy keeps.
    const tagDeployed = this.project('TagDeployed', tagDeployedSpec(), {
      timeout: Duration.minutes(5),
      // The CodeBuild image carries the AWS CLI, which the Node image lacks.
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
      environmentVariables: { REPOSITORY_NAME: { value: props.repository.repositoryName } },
    });
    props.repository.grant(tagDeployed, 'ecr:BatchGetImage', 'ecr:PutImage');
    const waves = planWaves(props.environments, props.requireApproval ?? true);
    const bakeTime = props.waveBakeTime ?? Duration.minutes(30);
    // Only an environment of several waves bakes between them: the one-region pipeline has no Bake project.
    const bake = waves.some((wave) => wave.bake)
      ? this.project('Bake', bakeSpec(), { timeout: bakeTime.plus(Duration.minutes(20)) })
      : undefined;
    const checks = { verifySignature, smoke, tagDeployed, bake, bakeTime };
    const verify = waves.some((wave) => wave.verifyStage !== undefined) ? this.verifyProjects() : undefined;
    for (const wave of waves) {
      if (wave.approvalStage !== undefined && wave.previous !== undefined) {
        this.addApproval(wave.approvalStage, wave.previous, wave.environment, props.approverRoleArn);
      }
      const deploys = this.addWave(wave, source.artifact, image, checks);
      if (wave.verifyStage !== undefined && verify !== undefined) {
        this.addVerify(wave.verifyStage, wave.environment, deploys, source.artifact, verify);
      }
    }

    new DeliveryMetrics(this, 'DeliveryMetrics', {
      pipeline: this.pipeline,
      waves,
      key: this.key,
      logRetention: props.logRetention,
    });

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

  /**
   * After the tests, the pipeline changes itself; then the Registry, which every environment shares, is deployed
   * once. Both deploy to the pipeline's own account and region, and may assume no other's roles.
   */
  private addSelfUpdate(source: codepipeline.Artifact, registryStackName: string): void {
    const project = this.deployers.selfUpdate();
    const registry = this.deployers.sharedStack('DeployRegistry', registryStackName);
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

  /** Returns the pipeline variables that name the pushed image: its tag and its digest. */
  private addBuild(
    source: { artifact: codepipeline.Artifact; commitId: string },
    repository: ecr.IRepository,
    signing: ImageSigning,
  ): PushedImage {
    const project = this.project('BuildImage', buildImageSpec(), {
      timeout: Duration.minutes(30),
      // A CodeBuild-managed image: it runs Docker, which privileged mode allows. On the tasks' architecture: Docker
      // builds for its host, so the image needs no emulation and no multi-arch manifest, one digest to scan and deploy.
      buildImage: IMAGE_BUILD_ENVIRONMENT[IMAGE_CONTRACT.architecture],
      privileged: true,
      environmentVariables: { REPOSITORY_URI: { value: repository.repositoryUri } },
      writesArtifacts: true,
      dockerLayerCache: true,
    });
    repository.grantPullPush(project);
    // ECR signs the pushed image as the pusher; the scan gate reads the scan of what it pushed.
    signing.grantSign(project);
    repository.grant(project, 'ecr:DescribeImageScanFindings');
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
    return { tag: action.variable('IMAGE_TAG'), digest: action.variable('IMAGE_DIGEST') };
  }

  /**
   * The projects and report groups of the checks before a promotion: the acceptance test, the load test (one project
   * per environment: its bounds are in its buildspec) and the resilience experiment.
   */
  private verifyProjects() {
    const reports = {
      acceptance: this.reportGroup('AcceptanceReports', codebuild.ReportGroupType.TEST),
      loadTest: this.reportGroup('LoadTestReports', codebuild.ReportGroupType.TEST),
      resilience: this.reportGroup('ResilienceReports', codebuild.ReportGroupType.TEST),
    };
    const acceptance = this.project('Acceptance', acceptanceSpec(reports.acceptance.reportGroupArn), {
      timeout: Duration.minutes(20),
      // Chromium and the suites: two vCPUs, as the UnitTest project has.
      computeType: codebuild.ComputeType.MEDIUM,
      npmCache: true,
    });
    reports.acceptance.grantWrite(acceptance);
    const resilience = this.project('Resilience', resilienceSpec(reports.resilience.reportGroupArn), {
      timeout: Duration.minutes(20),
      // The CodeBuild image carries the AWS CLI, which the Node image lacks.
      buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
    });
    reports.resilience.grantWrite(resilience);
    return { reports, acceptance, resilience, loadTests: new Map<string, codebuild.PipelineProject>() };
  }

  /**
   * After the last wave of an environment that another follows: the acceptance test of each unit, then its load
   * test with the resilience experiment running beside it (the same runOrder), when the environment has them.
   */
  private addVerify(
    stageName: string,
    environment: PipelineEnvironment,
    deploys: readonly { unit: PipelineUnit; action: actions.CodeBuildAction }[],
    source: codepipeline.Artifact,
    verify: ReturnType<PipelineStack['verifyProjects']>,
  ): void {
    const { settings } = environment;
    const checks = settings.promotionChecks;
    const loadTest = checks && this.loadTestProject(settings.id, settings.name, checks.loadTest, verify);
    const stageActions = deploys.flatMap(({ unit, action }) => {
      const names = unitNames(settings.id, unit.region);
      const acceptance = new actions.CodeBuildAction({
        actionName: names.acceptanceAction,
        project: verify.acceptance,
        input: source,
        runOrder: 1,
        environmentVariables: { SERVICE_URL: { value: action.variable('SERVICE_URL') } },
      });
      if (checks === undefined || loadTest === undefined) return [acceptance];
      // Only this unit's promotion-check role, in its account.
      const roleArn = `arn:${this.partition}:iam::${unit.account ?? this.account}:role/${promotionCheckRoleName(unit.service.stackName)}`;
      for (const project of [loadTest, verify.resilience]) {
        project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [roleArn] }));
      }
      const variable = (name: string) => ({ value: action.variable(name) });
      // The AWS CLI calls the unit's region, not the pipeline's.
      const region: Record<string, codebuild.BuildEnvironmentVariable> =
        unit.region === this.region
          ? {}
          : { AWS_REGION: { value: unit.region }, AWS_DEFAULT_REGION: { value: unit.region } };
      return [
        acceptance,
        new actions.CodeBuildAction({
          actionName: names.loadTestAction,
          project: loadTest,
          input: source,
          runOrder: 2,
          environmentVariables: {
            SERVICE_URL: variable('SERVICE_URL'),
            PROMOTION_ROLE_ARN: variable('PROMOTION_ROLE_ARN'),
            LOAD_TEST_TOKEN_ARN: variable('LOAD_TEST_TOKEN_ARN'),
            ...region,
          },
        }),
        new actions.CodeBuildAction({
          actionName: names.resilienceAction,
          project: verify.resilience,
          input: source,
          runOrder: 2,
          environmentVariables: {
            PROMOTION_ROLE_ARN: variable('PROMOTION_ROLE_ARN'),
            EXPERIMENT_TEMPLATE_ID: variable('EXPERIMENT_TEMPLATE_ID'),
            CLUSTER_NAME: variable('CLUSTER_NAME'),
            SERVICE_NAME: variable('SERVICE_NAME'),
            START_AFTER_SECONDS: { value: String(checks.resilience.startAfterSeconds) },
            RECOVERY_SECONDS: { value: String(checks.resilience.recoverySeconds) },
            ...region,
          },
        }),
      ];
    });
    this.pipeline.addStage({ stageName, actions: stageActions });
  }

  private loadTestProject(
    environmentId: string,
    environmentName: string,
    settings: LoadTestSettings,
    verify: ReturnType<PipelineStack['verifyProjects']>,
  ): codebuild.PipelineProject {
    const existing = verify.loadTests.get(environmentId);
    if (existing !== undefined) return existing;
    const project = this.project(
      `LoadTest${environmentId}`,
      loadTestSpec({ reportGroupArn: verify.reports.loadTest.reportGroupArn, environmentName, ...settings }),
      {
        timeout: Duration.seconds(settings.durationSeconds).plus(Duration.minutes(15)),
        // The CodeBuild image carries the AWS CLI, which reads the token; two vCPUs, so that the load generator
        // is not what limits the rate.
        buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: codebuild.ComputeType.MEDIUM,
        npmCache: true,
      },
    );
    verify.reports.loadTest.grantWrite(project);
    verify.loadTests.set(environmentId, project);
    return project;
  }

  /** A wave: its units deploy in parallel, then each is smoke tested; then a bake, or the deployed-<name> tag. */
  private addWave(
    wave: WavePlan,
    source: codepipeline.Artifact,
    image: PushedImage,
    checks: {
      readonly verifySignature: codebuild.IProject;
      readonly smoke: codebuild.IProject;
      readonly tagDeployed: codebuild.IProject;
      readonly bake: codebuild.IProject | undefined;
      readonly bakeTime: Duration;
    },
  ): { unit: PipelineUnit; action: actions.CodeBuildAction }[] {
    const { settings } = wave.environment;
    // One project per unit, allowed only its own account's and region's roles (pipeline/deployers.ts).
    const deploys = wave.units.map((unit) => {
      const names = unitNames(settings.id, unit.region);
      const action = new actions.CodeBuildAction({
        actionName: names.deployAction,
        project: this.deployers.unit(settings.id, unit),
        input: source,
        variablesNamespace: names.namespace,
        // Every unit, in every wave and region, gets the one digest Build pushed: ECR replicates it unchanged.
        environmentVariables: { IMAGE_TAG: { value: image.tag }, IMAGE_DIGEST: { value: image.digest } },
        runOrder: 2,
      });
      return { unit, action };
    });
    // First, in the stage of every deploy: the digest carries the pipeline profile's signature, or nothing deploys.
    const verify = new actions.CodeBuildAction({
      actionName: 'VerifySignature',
      project: checks.verifySignature,
      input: source,
      runOrder: 1,
      environmentVariables: { IMAGE_DIGEST: { value: image.digest } },
    });
    // Beside it, each unit's edge stack: its service stack reads the web ACL's ARN from it.
    const edges = wave.units.map(
      (unit) =>
        new actions.CodeBuildAction({
          actionName: unitNames(settings.id, unit.region).edgeAction,
          project: this.deployers.edge(settings.id, unit),
          input: source,
          runOrder: 1,
        }),
    );
    this.pipeline.addStage({
      stageName: wave.deployStage,
      actions: [verify, ...edges, ...deploys.map(({ action }) => action)],
    });
    const smokes = deploys.map(
      ({ unit, action }) =>
        new actions.CodeBuildAction({
          actionName: unitNames(settings.id, unit.region).smokeAction,
          project: checks.smoke,
          input: source,
          environmentVariables: { SERVICE_URL: { value: action.variable('SERVICE_URL') } },
        }),
    );
    const after =
      wave.bake && checks.bake !== undefined
        ? new actions.CodeBuildAction({
            actionName: 'Bake',
            project: checks.bake,
            input: source,
            runOrder: 2,
            environmentVariables: {
              BAKE_MINUTES: { value: String(checks.bakeTime.toMinutes()) },
              SERVICE_URLS: { value: deploys.map(({ action }) => action.variable('SERVICE_URL')).join(' ') },
            },
          })
        : new actions.CodeBuildAction({
            actionName: 'TagDeployed',
            project: checks.tagDeployed,
            input: source,
            runOrder: 2,
            environmentVariables: {
              IMAGE_TAG: { value: image.tag },
              DEPLOY_ENVIRONMENT: { value: settings.name },
            },
          });
    this.pipeline.addStage({ stageName: wave.smokeStage, actions: [...smokes, after] });
    return deploys;
  }

  /** Before an environment: the one before it runs the new image and passed its smoke test. */
  private addApproval(
    stageName: string,
    previous: PipelineEnvironment,
    next: PipelineEnvironment,
    approverRoleArn: string | undefined,
  ): void {
    const [shown] = previous.units;
    const url =
      shown === undefined ? '' : ` at #{${unitNames(previous.settings.id, shown.region).namespace}.SERVICE_URL}`;
    const approval = new actions.ManualApprovalAction({
      actionName: 'Approve',
      notificationTopic: this.notificationTopic,
      additionalInformation:
        `${previous.settings.id} runs image #{Build.IMAGE_TAG} and passed its smoke test${url}. ` +
        `Promote it to ${next.settings.name}?`,
    });
    this.pipeline.addStage({ stageName, actions: [approval] });
    if (approverRoleArn !== undefined) {
      approval.grantManualApproval(
        iam.Role.fromRoleArn(this, `Approver${next.settings.id}`, approverRoleArn, { mutable: true }),
      );
    }
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

  private reportGroup(id: string, type: codebuild.ReportGroupType): codebuild.ReportGroup {
    return this.projects.reportGroup(id, type);
  }

  private project(id: string, buildSpec: BuildSpecObject, options: ProjectOptions) {
    return this.projects.project(id, buildSpec, options);
  }
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
  if (props.approverRoleArn !== undefined && !ROLE_ARN.test(props.approverRoleArn)) {
    throw new Error(
      `approverRoleArn "${props.approverRoleArn}" is not an IAM role ARN: expected arn:aws:iam::<account>:role/<name>`,
    );
  }
  for (const key of ['imageTag', 'imageDigest']) {
    if (props.cdkContext !== undefined && key in props.cdkContext) {
      throw new Error(`cdkContext must not set ${key}: each deploy passes the image the Build stage pushed`);
    }
  }
}
