import { createHash } from 'node:crypto';
import { Duration, Names, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { logEncryptionKey } from '../kms.ts';
import { acknowledgeShortRetention, TEST_ENVIRONMENT_RETENTION } from '../log-storage.ts';
import { IMAGE_CONTRACT, type Architecture } from './image-contract.ts';
import { IDENTITY } from '../../../src/identity.ts';

/** Fargate's name for each architecture. */
const FARGATE_ARCHITECTURE: Record<Architecture, ecs.CpuArchitecture> = {
  amd64: ecs.CpuArchitecture.X86_64,
  arm64: ecs.CpuArchitecture.ARM64,
};

export interface CanarySettings {
  /** Share of production traffic the new revision gets first, 0.1 to 100 in steps of 0.1. */
  readonly percent: number;
  /** How long the canary takes that share, alarms watching, before the rest of the traffic moves. */
  readonly bakeTime: Duration;
}

export interface AppServiceProps {
  readonly vpc: ec2.IVpc;
  readonly image: ecs.ContainerImage;
  /** The tag the image was pushed under, as a label for people, when the image is named by digest. */
  readonly imageTag: string;
  /** Path prefix of the runtime configuration in SSM Parameter Store, e.g. /<slug>/staging (infra/lib/names.ts). */
  readonly parameterPath: string;
  /** Runtime configuration: one SSM parameter each, injected as an environment variable when a task starts. */
  readonly runtimeConfig: Readonly<Record<string, string>>;
  /** Environment variable name to the complete ARN of a Secrets Manager secret. */
  readonly secretArns: Readonly<Record<string, string>>;
  /** The customer managed KMS key that encrypts those secrets. @default - the AWS managed key aws/secretsmanager */
  readonly secretsKeyArn?: string;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Average CPU the scaling policy aims at, in percent. */
  readonly cpuTargetPercent: number;
  /** Requests per task per minute the scaling policy aims at. */
  readonly requestsPerTaskTarget: number;
  /** Time between SIGTERM and SIGKILL; longer than the app's shutdown grace. */
  readonly stopTimeout: Duration;
  readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  readonly productionRule: elbv2.ApplicationListenerRule;
  /** Alarms that roll a deployment back when they fire during it. */
  readonly rollbackAlarmNames: readonly string[];
  readonly canary: CanarySettings;
  /** How long the previous revision stays up after all traffic has moved, for an instant rollback. */
  readonly deploymentBakeTime: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The ECS cluster, the task definition and the Fargate service, with canary deployments and autoscaling. */
export class AppService extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly service: ecs.FargateService;
  public readonly logGroup: logs.LogGroup;
  /** Encrypts the container logs; other log groups of the stack may share it. */
  public readonly logKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.logKey = logEncryptionKey(this, 'LogsKey', props.logRemovalPolicy);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: this.logKey,
    });
    acknowledgeShortRetention(this.logGroup, props.logRetention, 'Container logs', TEST_ENVIRONMENT_RETENTION);

    const secrets: Record<string, ecs.Secret> = {};
    for (const [name, value] of Object.entries(props.runtimeConfig)) {
      const parameter = new ssm.StringParameter(this, name, {
        parameterName: `${props.parameterPath}/${name}`,
        stringValue: value,
        description: `${name} for the ${IDENTITY.slug} container; read when a task starts`,
      });
      secrets[name] = ecs.Secret.fromSsmParameter(parameter);
    }
    for (const [name, arn] of Object.entries(props.secretArns)) {
      secrets[name] = ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretCompleteArn(this, name, arn));
    }

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      // The image holds one architecture: the one the pipeline builds on.
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: FARGATE_ARCHITECTURE[IMAGE_CONTRACT.architecture],
      },
    });
    const linuxParameters = new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true });
    // Node listens on an unprivileged port and needs no capability at all.
    linuxParameters.dropCapabilities(ecs.Capability.ALL);
    const [healthCheckExecutable, ...healthCheckArgs] = IMAGE_CONTRACT.healthCheckCommand;
    this.taskDefinition.addContainer('App', {
      containerName: 'app',
      image: props.image,
      // The task's whole memory as the container's hard limit: the one container may use all of it, and the
      // limit is stated where ECS and Control Tower (CT.ECS.PR.7) look for it.
      memoryLimitMiB: props.memoryLimitMiB,
      portMappings: [{ containerPort: IMAGE_CONTRACT.port, name: 'http', protocol: ecs.Protocol.TCP }],
      secrets,
      // Tasks read the parameters only when they start. A change of value changes this label, hence the task
      // definition, so the change rolls out as a deployment, through the canary, like a new image.
      dockerLabels: {
        [`${IDENTITY.slug}.runtime-config`]: configDigest(props.runtimeConfig),
        [`${IDENTITY.slug}.image-tag`]: props.imageTag,
      },
      user: IMAGE_CONTRACT.user,
      readonlyRootFilesystem: true,
      linuxParameters,
      stopTimeout: props.stopTimeout,
      healthCheck: {
        command: ['CMD', healthCheckExecutable, ...healthCheckArgs],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'app',
        // A slow CloudWatch Logs must not block the event loop; 25 MiB absorbs bursts before lines are dropped.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });

    const executionRole = this.taskDefinition.obtainExecutionRole();
    if (props.secretsKeyArn !== undefined) {
      // ECS reads the secrets as the execution role when a task starts; the app itself never decrypts them.
      executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.secretsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which ECS calls to pull the image, has no resource-level permissions: its ' +
        'resource is always *. The pull itself (ecr:BatchGetImage, GetDownloadUrlForLayer) is limited to our repository.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // No desiredCount: autoscaling owns it, and a value here would reset it on every deploy.
      assignPublicIp: false,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(30),
      deploymentStrategy: ecs.DeploymentStrategy.CANARY,
      canaryConfiguration: { stepPercent: props.canary.percent, stepBakeTime: props.canary.bakeTime },
      bakeTime: props.deploymentBakeTime,
      deploymentAlarms: {
        alarmNames: [...props.rollbackAlarmNames],
        behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
      },
      // Catches revisions whose tasks never become healthy, before any alarm has data.
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    // ECS assumes this role to register the new revision's tasks and move the listener rule's weights.
    const canaryRole = new iam.Role(this, 'CanaryRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonECSInfrastructureRolePolicyForLoadBalancers'),
      ],
    });
    Validations.of(canaryRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      reason:
        'The AWS managed policy made for the ECS infrastructure role of blue/green, linear and canary deployments: ' +
        'elasticloadbalancing actions only, on target groups and listener rules. AWS revises it as ECS needs new ' +
        'actions (v6 in 2026), which a hand-written copy would miss, failing deployments.',
    });
    this.service
      .loadBalancerTarget({
        containerName: 'app',
        containerPort: IMAGE_CONTRACT.port,
        alternateTarget: new ecs.AlternateTarget('Canary', {
          role: canaryRole,
          alternateTargetGroup: props.greenTargetGroup,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(props.productionRule),
        }),
      })
      .attachToApplicationTargetGroup(props.blueTargetGroup);

    const taskCount = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    taskCount.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.cpuTargetPercent,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
    // ALBRequestCountPerTarget names one target group, but the two swap roles at each deployment. The sum of
    // both groups' requests per target is the load per task whether one group serves or both do.
    const requestsPerTarget = (id: string, targetGroup: elbv2.ApplicationTargetGroup) => ({
      id,
      returnData: false,
      metricStat: {
        metric: {
          namespace: 'AWS/ApplicationELB',
          metricName: 'RequestCountPerTarget',
          dimensions: [{ name: 'TargetGroup', value: targetGroup.targetGroupFullName }],
        },
        stat: 'Sum',
      },
    });
    const requestsPolicy = new appscaling.CfnScalingPolicy(this, 'RequestsPerTask', {
      policyName: `${Names.uniqueId(this)}RequestsPerTask`,
      policyType: 'TargetTrackingScaling',
      // The scalable target that autoScaleTaskCount() registered, named the way ECS names it.
      resourceId: `service/${this.cluster.clusterName}/${this.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      serviceNamespace: 'ecs',
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.requestsPerTaskTarget,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            requestsPerTarget('blue', props.blueTargetGroup),
            requestsPerTarget('green', props.greenTargetGroup),
            {
              id: 'requestsPerTask',
              label: 'Requests per task per minute',
              expression: 'FILL(blue, 0) + FILL(green, 0)',
              returnData: true,
            },
          ],
        },
      },
    });
    // Named by its resource id rather than by reference, so the scalable target must be registered first.
    requestsPolicy.node.addDependency(taskCount);
  }
}

/** A short, stable digest of the runtime configuration's names and values. */
function configDigest(config: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
