import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LOG_LEVELS, type LogLevel } from '../../src/config.ts';
import { AppService, type CanarySettings } from './service/app-service.ts';
import { CacheInvalidation } from './service/cache-invalidation.ts';
import { IMAGE_CONTRACT } from './service/image-contract.ts';
import { EdgeDistribution, validateDomainSettings, type HostedZoneAttributes } from './service/edge-distribution.ts';
import { OriginLoadBalancer } from './service/origin-load-balancer.ts';
import { evaluationWindow, METRIC_DELAY, ServiceAlarms } from './service/service-alarms.ts';
import { ServiceDashboard } from './service/dashboard.ts';
import { SyntheticCheck } from './service/synthetic-check.ts';
import { PromotionChecks } from './service/promotion-checks.ts';
import { ResilienceExperiment } from './service/resilience-experiment.ts';
import { parameterPath } from './names.ts';

/** What the service stack uses of its edge stack in us-east-1 (infra/lib/edge-stack.ts). */
export interface EdgeAttachment {
  /** The CLOUDFRONT web ACL the distribution names. */
  readonly webAclArn: string;
  /** For the dashboard: the web ACL's blocked and counted requests, us-east-1 metrics. */
  readonly waf: { readonly blockedRequests: cloudwatch.IMetric; readonly countedRequests: cloudwatch.IMetric };
  /** The viewer certificate issued there for domainName, when the hosted zone is given and no certificateArn. */
  readonly certificate?: acm.ICertificate;
  /** The secret whose value exempts the pipeline's load test from the web ACL's rate rule, when the edge has one. */
  readonly loadTestTokenArn?: string;
}

/** The paths the edge caches: answers that are pure functions of their query and the Accept header. */
export const CACHED_PATHS = ['/clock', '/clock.svg'] as const;

/** An OCI image digest as ECR reports it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A repository in another stack's account, read by ARN: never a cross-account or cross-region export. */
export interface RepositoryLocation {
  readonly repositoryName: string;
  /** The registry's account; ECR replicates the repository, under its name, to this stack's region. */
  readonly account: string;
}

export interface ServiceStackProps extends StackProps {
  /** From the network stack. */
  readonly vpc: ec2.IVpc;
  /**
   * The registry stack's repository, in this stack's account and region (a strong reference); or where it is, when
   * this stack runs in another account or region: then the image is pulled by ARN from this region's copy.
   */
  readonly repository: ecr.IRepository | RepositoryLocation;
  /**
   * The image tag, e.g. 1.4.0-abc1234: what the task runs unless imageDigest is given; a label for people if it is.
   */
  readonly imageTag: string;
  /**
   * The image's digest, `sha256:<64 hex>`: the task definition then names `repository@sha256:…`, the exact bytes Build
   * pushed and ECR signed and scanned, which no tag can be moved to change. The pipeline passes Build's digest.
   * @default - the task names the image by imageTag (a local synth)
   */
  readonly imageDigest?: string;
  /** e.g. staging: names the SSM parameter path and tags. */
  readonly environmentName: string;

  /** Fargate vCPU units: 256 is 0.25 vCPU. @default 256 */
  readonly cpu?: number;
  /** Must fit the CPU size (Fargate's table). @default 512 */
  readonly memoryLimitMiB?: number;
  /** At least 2, one per zone, so that a zone or a task can fail without an outage. @default 2 */
  readonly minTasks?: number;
  /** @default 4 */
  readonly maxTasks?: number;
  /** @default 60 */
  readonly cpuTargetPercent?: number;
  /** Per task, per minute. @default 6000 */
  readonly requestsPerTaskTarget?: number;

  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /** One log line per request. @default false */
  readonly logRequests?: boolean;
  /** The app's shutdown grace (SHUTDOWN_TIMEOUT_MS). @default Duration.seconds(10) */
  readonly shutdownTimeout?: Duration;
  /** SIGTERM to SIGKILL; longer than shutdownTimeout, at most 120 s on Fargate. @default Duration.seconds(30) */
  readonly stopTimeout?: Duration;
  /** Environment variable name to the complete ARN of a Secrets Manager secret. @default {} */
  readonly secretArns?: Readonly<Record<string, string>>;
  /**
   * ARN of the customer managed KMS key that encrypts secretArns; the execution role gets kms:Decrypt on it,
   * through Secrets Manager only. @default - the secrets use the AWS managed key aws/secretsmanager
   */
  readonly secretsKeyArn?: string;

  /** The web ACL and certificate from the edge stack in us-east-1. */
  readonly edge: EdgeAttachment;
  /**
   * The name clients use, an alias of the distribution. Required with certificateArn.
   * @default - the distribution's *.cloudfront.net name, over HTTPS
   */
  readonly domainName?: string;
  /** Gets alias records for domainName; the edge stack issues a DNS-validated certificate unless certificateArn is given. */
  readonly hostedZone?: HostedZoneAttributes;
  /** An ACM certificate in us-east-1, where CloudFront reads it, that covers domainName. */
  readonly certificateArn?: string;
  /** @default false */
  readonly deletionProtection?: boolean;

  /** @default { percent: 10, bakeTime: Duration.minutes(10) } */
  readonly canary?: CanarySettings;
  /**
   * The old revision stays up this long after the traffic has moved, the rollback alarms watching; at least the
   * synthetic check's alarm window and its delays. @default Duration.minutes(10)
   */
  readonly deploymentBakeTime?: Duration;

  /** @default 5 */
  readonly serverErrorRatePercent?: number;
  /** @default Duration.seconds(1) */
  readonly p99Latency?: Duration;
  /** @default - no subscription */
  readonly alarmEmail?: string;

  /**
   * The environment is checked under load before the next is promoted: a resilience experiment, a load-test token
   * that the web ACL's rate rule exempts, and a role the pipeline assumes to use both (service/promotion-checks.ts).
   * @default none
   */
  readonly promotionChecks?: PromotionChecksSettings;

  /** Container logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** For the container logs. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export interface PromotionChecksSettings {
  /** The account whose pipeline runs the checks. */
  readonly pipelineAccount: string;
  /** The share of the running tasks the resilience experiment stops. @default 50 */
  readonly stopTaskPercent?: number;
}

/** The environment variables this stack sets from SSM parameters; a secret may not reuse a name. */
const RUNTIME_CONFIG_NAMES = ['LOG_LEVEL', 'LOG_REQUESTS', 'KEEP_ALIVE_TIMEOUT_MS', 'SHUTDOWN_TIMEOUT_MS'] as const;

/** The load balancer's idle timeout. The app's keep-alive is set above it, or the ALB may reuse a closed socket (502). */
const IDLE_TIMEOUT = Duration.seconds(60);
const KEEP_ALIVE_MARGIN = Duration.seconds(5);

/** One environment's service: distribution, internal load balancer, cluster, Fargate service, autoscaling, alarms. */
export class ServiceStack extends Stack {
  public readonly cluster: ecs.ICluster;
  public readonly service: ecs.FargateService;
  /** What the pipeline's smoke test calls: the distribution, as clients reach it. */
  public readonly serviceUrl: string;
  public readonly edge: EdgeDistribution;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    // The edge stack's web ACL and certificate are in us-east-1: the app's weak references read their ARNs with
    // Fn::GetStackOutput, which crosses regions with no custom resource (docs/decisions/edge.md).
    super(scope, id, props);
    const settings = resolveSettings(id, props);

    const loadBalancer = new OriginLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      targetPort: IMAGE_CONTRACT.port,
      healthCheckPath: IMAGE_CONTRACT.healthPath,
      idleTimeout: IDLE_TIMEOUT,
      // ECS stops a task once the load balancer has drained it: 30 s for requests in flight, not the 300 s default.
      deregistrationDelay: Duration.seconds(30),
      deletionProtection: props.deletionProtection,
    });
    const certificate =
      props.certificateArn === undefined
        ? props.edge.certificate
        : acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn);
    this.edge = new EdgeDistribution(this, 'Edge', {
      loadBalancer: loadBalancer.loadBalancer,
      webAclArn: props.edge.webAclArn,
      cachedPaths: CACHED_PATHS,
      originIdleTimeout: IDLE_TIMEOUT,
      domainName: props.domainName,
      hostedZone: props.hostedZone,
      certificate,
    });

    const alarms = new ServiceAlarms(this, 'Alarms', {
      loadBalancer: loadBalancer.loadBalancer,
      targetGroups: [loadBalancer.blueTargetGroup, loadBalancer.greenTargetGroup],
      serverErrorRatePercent: settings.serverErrorRatePercent,
      p99Latency: settings.p99Latency,
      alarmEmail: props.alarmEmail,
    });
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    const syntheticCheck = new SyntheticCheck(this, 'SyntheticCheck', {
      serviceUrl: this.edge.url,
      vpc: props.vpc,
      accessLogBucket: loadBalancer.accessLogBucket,
    });

    // Any of these rolls a deployment back; the canary must bake long enough for the slowest to fire.
    const rollbackAlarms = [...alarms.rollbackAlarms, syntheticCheck.failedAlarm];
    const minutes = (duration: Duration) => duration.toMinutes({ integral: false });
    const slowest = Math.max(...rollbackAlarms.map((alarm) => minutes(evaluationWindow(alarm))));
    if (minutes(settings.canary.bakeTime) < slowest + minutes(METRIC_DELAY)) {
      throw new Error(
        `${id}: canary bakeTime ${minutes(settings.canary.bakeTime)} min is shorter than the rollback alarms need ` +
          `to fire (${slowest} min window + ${minutes(METRIC_DELAY)} min metric delay): ` +
          'the traffic would move on before an alarm could roll the canary back',
      );
    }

    const app = new AppService(this, 'App', {
      vpc: props.vpc,
      image: ecs.ContainerImage.fromEcrRepository(
        this.repositoryOf(props.repository),
        props.imageDigest ?? props.imageTag,
      ),
      imageTag: props.imageTag,
      parameterPath: parameterPath(props.environmentName),
      runtimeConfig: {
        LOG_LEVEL: settings.logLevel,
        LOG_REQUESTS: String(settings.logRequests),
        KEEP_ALIVE_TIMEOUT_MS: String(IDLE_TIMEOUT.plus(KEEP_ALIVE_MARGIN).toMilliseconds()),
        SHUTDOWN_TIMEOUT_MS: String(settings.shutdownTimeout.toMilliseconds()),
      } satisfies Record<(typeof RUNTIME_CONFIG_NAMES)[number], string>,
      secretArns: props.secretArns ?? {},
      secretsKeyArn: props.secretsKeyArn,
      cpu: settings.cpu,
      memoryLimitMiB: settings.memoryLimitMiB,
      minTasks: settings.minTasks,
      maxTasks: settings.maxTasks,
      cpuTargetPercent: settings.cpuTargetPercent,
      requestsPerTaskTarget: settings.requestsPerTaskTarget,
      stopTimeout: settings.stopTimeout,
      blueTargetGroup: loadBalancer.blueTargetGroup,
      greenTargetGroup: loadBalancer.greenTargetGroup,
      productionRule: loadBalancer.productionRule,
      rollbackAlarmNames: rollbackAlarms.map((alarm) => alarm.alarmName),
      canary: settings.canary,
      deploymentBakeTime: settings.deploymentBakeTime,
      logRetention,
      logRemovalPolicy,
    });
    // A check that ran before the first tasks are up would fail, and roll back the very first deployment.
    syntheticCheck.canary.node.addDependency(app.service);
    const { loadTestTokenArn } = props.edge;
    if (props.promotionChecks && loadTestTokenArn === undefined) {
      throw new Error(`${id}: promotionChecks need the edge stack's load-test token (EdgeStack's loadTestExemption)`);
    }
    const checks =
      props.promotionChecks &&
      loadTestTokenArn !== undefined &&
      new PromotionChecks(this, 'PromotionChecks', {
        pipelineAccount: props.promotionChecks.pipelineAccount,
        loadTestTokenArn,
        service: app.service,
        experiment: new ResilienceExperiment(this, 'ResilienceExperiment', {
          cluster: app.cluster,
          service: app.service,
          stopConditions: rollbackAlarms,
          stopTaskPercent: props.promotionChecks.stopTaskPercent,
        }),
      });
    // Once the new revision takes all the traffic (CloudFormation waits for the ECS deployment), the edge forgets
    // the answers the old one gave: a deploy may change them, and the edge would keep them for up to a day.
    const invalidation = new CacheInvalidation(this, 'CacheInvalidation', {
      vpc: props.vpc,
      logGroup: app.logGroup,
      distribution: this.edge.distribution,
      paths: CACHED_PATHS.map((path) => `${path}*`),
      // The image, not its label: a new digest is a new revision.
      revision: props.imageDigest ?? props.imageTag,
    });
    invalidation.node.addDependency(app.service);
    syntheticCheck.failedAlarm.addAlarmAction(new actions.SnsAction(alarms.topic));
    syntheticCheck.failedAlarm.addOkAction(new actions.SnsAction(alarms.topic));
    const dashboard = new ServiceDashboard(this, 'Dashboard', {
      loadBalancer: loadBalancer.loadBalancer,
      targetGroups: [loadBalancer.blueTargetGroup, loadBalancer.greenTargetGroup],
      service: app.service,
      cluster: app.cluster,
      canary: syntheticCheck.canary,
      // The web ACL's own alarm is in us-east-1 with its metrics, and notifies from there (edge-stack.ts).
      waf: props.edge.waf,
      alarms: [alarms.serverErrorRate, alarms.unhealthyTargets, alarms.p99Latency, syntheticCheck.failedAlarm],
      appLogGroup: app.logGroup,
    });
    this.cluster = app.cluster;
    this.service = app.service;
    this.serviceUrl = this.edge.url;

    new CfnOutput(this, 'ServiceUrl', { value: this.edge.url, description: 'Where the service answers, over HTTPS' });
    new CfnOutput(this, 'DistributionDomainName', {
      value: this.edge.distribution.distributionDomainName,
      description: 'The target for a CNAME when DNS is managed outside Route 53',
    });
    new CfnOutput(this, 'DistributionId', { value: this.edge.distribution.distributionId });
    new CfnOutput(this, 'ClusterName', { value: app.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: app.service.serviceName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardUrl', {
      value: dashboard.url,
      description: 'Requests, errors, latency, tasks, checks, WAF',
    });
    if (checks) {
      // Read by the deploy action and handed to the pipeline's load test and experiment (pipeline/buildspecs.ts).
      new CfnOutput(this, 'PromotionCheckRoleArn', { value: checks.role.roleArn });
      new CfnOutput(this, 'ResilienceExperimentTemplateId', { value: checks.experiment.template.attrId });
      new CfnOutput(this, 'LoadTestTokenArn', { value: checks.loadTestTokenArn });
    }
  }

  private repositoryOf(repository: ecr.IRepository | RepositoryLocation): ecr.IRepository {
    if ('repositoryArn' in repository) return repository;
    return ecr.Repository.fromRepositoryAttributes(this, 'Repository', {
      repositoryName: repository.repositoryName,
      // This stack's region: the registry's own, or the replica ECR made there.
      repositoryArn: this.formatArn({
        service: 'ecr',
        account: repository.account,
        resource: 'repository',
        resourceName: repository.repositoryName,
      }),
    });
  }
}

/** Fargate's valid memory sizes (MiB) for each CPU size. */
const FARGATE_MEMORY: Readonly<Record<number, (memory: number) => boolean>> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

/** Applies the defaults and throws, naming the stack and the setting, on a value AWS would reject or regret. */
function resolveSettings(id: string, props: ServiceStackProps) {
  const fail = (message: string): never => {
    throw new Error(`${id}: ${message}`);
  };
  const settings = {
    cpu: props.cpu ?? 256,
    memoryLimitMiB: props.memoryLimitMiB ?? 512,
    minTasks: props.minTasks ?? 2,
    maxTasks: props.maxTasks ?? 4,
    cpuTargetPercent: props.cpuTargetPercent ?? 60,
    requestsPerTaskTarget: props.requestsPerTaskTarget ?? 6000,
    logLevel: props.logLevel ?? 'info',
    logRequests: props.logRequests ?? false,
    shutdownTimeout: props.shutdownTimeout ?? Duration.seconds(10),
    stopTimeout: props.stopTimeout ?? Duration.seconds(30),
    canary: props.canary ?? { percent: 10, bakeTime: Duration.minutes(10) },
    deploymentBakeTime: props.deploymentBakeTime ?? Duration.minutes(10),
    serverErrorRatePercent: props.serverErrorRatePercent ?? 5,
    p99Latency: props.p99Latency ?? Duration.seconds(1),
  };

  validateDomainSettings(id, props);
  if (props.domainName !== undefined && props.certificateArn === undefined && props.edge.certificate === undefined) {
    fail(`domainName ${props.domainName} has no certificate: the edge stack issues one when given the hosted zone`);
  }
  // ECR's tag grammar; the pipeline tags with the semver version and version-sha.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(props.imageTag)) {
    fail(`imageTag ${JSON.stringify(props.imageTag)} is not a valid image tag`);
  }
  if (props.imageDigest !== undefined && !IMAGE_DIGEST.test(props.imageDigest)) {
    fail(`imageDigest ${JSON.stringify(props.imageDigest)} is not an image digest: expected sha256:<64 hex digits>`);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(props.environmentName)) {
    fail(`environmentName ${JSON.stringify(props.environmentName)} must be lower-case letters, digits and dashes`);
  }
  const memoryFits = FARGATE_MEMORY[settings.cpu];
  if (memoryFits === undefined) {
    fail(`cpu ${settings.cpu} is not a Fargate size: use one of ${Object.keys(FARGATE_MEMORY).join(', ')}`);
  } else if (!memoryFits(settings.memoryLimitMiB)) {
    fail(`memoryLimitMiB ${settings.memoryLimitMiB} is not valid with cpu ${settings.cpu} on Fargate`);
  }
  if (!Number.isInteger(settings.minTasks) || settings.minTasks < 2) {
    fail(`minTasks must be a whole number of at least 2 (one task per zone), got ${settings.minTasks}`);
  }
  if (!Number.isInteger(settings.maxTasks) || settings.maxTasks < settings.minTasks) {
    fail(`minTasks (${settings.minTasks}) is above maxTasks (${settings.maxTasks})`);
  }
  if (settings.cpuTargetPercent <= 0 || settings.cpuTargetPercent >= 100) {
    fail(`cpuTargetPercent must be between 0 and 100, got ${settings.cpuTargetPercent}`);
  }
  if (settings.requestsPerTaskTarget <= 0) {
    fail(`requestsPerTaskTarget must be positive, got ${settings.requestsPerTaskTarget}`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(settings.logLevel)) {
    fail(`logLevel ${JSON.stringify(settings.logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const stopSeconds = settings.stopTimeout.toSeconds();
  if (stopSeconds > 120) fail(`stopTimeout is at most 120 s on Fargate, got ${stopSeconds} s`);
  if (stopSeconds <= settings.shutdownTimeout.toSeconds()) {
    fail(
      `stopTimeout (${stopSeconds} s) must be longer than shutdownTimeout (${settings.shutdownTimeout.toSeconds()} s), ` +
        'or ECS kills the task before requests in flight finish',
    );
  }
  if (settings.serverErrorRatePercent <= 0 || settings.serverErrorRatePercent >= 100) {
    fail(`serverErrorRatePercent must be between 0 and 100, got ${settings.serverErrorRatePercent}`);
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    fail(`alarmEmail ${JSON.stringify(props.alarmEmail)} is not an email address`);
  }
  if (props.secretsKeyArn !== undefined) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(props.secretsKeyArn)) {
      fail(
        `secretsKeyArn ${JSON.stringify(props.secretsKeyArn)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
      );
    }
    if (Object.keys(props.secretArns ?? {}).length === 0) fail('secretsKeyArn is given, but no secretArns to decrypt');
  }
  for (const [name, arn] of Object.entries(props.secretArns ?? {})) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      fail(`secret name ${JSON.stringify(name)} is not an environment variable name`);
    }
    if ((RUNTIME_CONFIG_NAMES as readonly string[]).includes(name)) {
      fail(`secret name ${name} is already set from SSM Parameter Store by this stack`);
    }
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(arn)) {
      fail(
        `secret ${name}: ${JSON.stringify(arn)} is not a complete Secrets Manager ARN (with its 6-character suffix)`,
      );
    }
  }
  return settings;
}
