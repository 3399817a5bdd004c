import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleHandler } from '../../delivery-metrics/bundle.ts';
import { NAMESPACE, type MetricName, type ProductionStages } from '../../delivery-metrics/metrics.ts';
import { acknowledgeControl } from '../checks.ts';
import { AUDIT_RETENTION, acknowledgeShortRetention } from '../log-storage.ts';
import type { WavePlan } from './waves.ts';

export interface DeliveryMetricsProps {
  readonly pipeline: codepipeline.IPipeline;
  /** The pipeline's waves: those of the last environment are the production deploy. */
  readonly waves: readonly WavePlan[];
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
  /** How long the function's log (the metrics' source records) is kept. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** The dashboard's default time range. @default Duration.days(30) */
  readonly period?: Duration;
}

/** The stages of the last environment's waves: their deploys and smoke tests; the last smoke test ends the deploy. */
export function productionStages(waves: readonly WavePlan[]): ProductionStages {
  const last = waves.at(-1);
  if (last === undefined) throw new Error('the pipeline has no wave: nothing is deployed to production');
  const production = waves.filter((wave) => wave.environment === last.environment);
  return { stages: production.flatMap((wave) => [wave.deployStage, wave.smokeStage]), final: last.smokeStage };
}

/**
 * DORA's four delivery metrics of the pipeline (deployment frequency, lead time for changes, change failure rate,
 * time to restore): an EventBridge rule sends the production stages' results to a small function, which reads two
 * CodePipeline APIs and logs the metrics in Embedded Metric Format; a dashboard shows them.
 */
export class DeliveryMetrics extends Construct {
  public readonly rule: events.Rule;
  public readonly function: lambda.Function;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DeliveryMetricsProps) {
    super(scope, id);
    const production = productionStages(props.waves);
    const retention = props.logRetention ?? AUDIT_RETENTION;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.key,
      retention,
      // The metrics' records: kept with the pipeline's build logs.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeShortRetention(
      logGroup,
      retention,
      'The delivery metrics records',
      'as the logRetention prop of the pipeline stack asks of its build logs too.',
    );
    // A role of its own, not AWSLambdaBasicExecutionRole: it writes to this log group only.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions'],
        resources: [props.pipeline.pipelineArn],
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(bundleHandler()),
      handler: 'index.handler',
      role,
      logGroup,
      memorySize: 256,
      timeout: Duration.seconds(30),
      // Stage events come one at a time; two at once is plenty, and bounds what a flood could cost.
      reservedConcurrentExecutions: 2,
      environment: { PRODUCTION_STAGES: production.stages.join(','), FINAL_STAGE: production.final },
    });
    acknowledgeControl(
      this.function,
      'lambda_inside_vpc_check',
      'It calls only the CodePipeline API of this account and writes its own log; the pipeline stack has no VPC, ' +
        'and one with NAT or endpoints for a few calls a day would cost more than it protects.',
    );

    this.rule = new events.Rule(this, 'Rule', {
      description: 'Production stage results of the pipeline, for its delivery metrics',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Stage Execution State Change'],
        detail: {
          pipeline: [props.pipeline.pipelineName],
          stage: [...production.stages],
          state: ['SUCCEEDED', 'FAILED'],
        },
      },
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(2) })],
    });

    this.dashboard = this.createDashboard(props.pipeline.pipelineName, props.period ?? Duration.days(30));
    // On the stack, beside PipelineName: an output in a construct gets a hashed name.
    new CfnOutput(Stack.of(this), 'DeliveryMetricsDashboard', { value: this.dashboard.dashboardName });
  }

  private createDashboard(pipelineName: string, period: Duration): cloudwatch.Dashboard {
    const metric = (name: MetricName, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName: name,
        dimensionsMap: { Pipeline: pipelineName },
        statistic,
        period: Duration.days(1),
        label,
      });
    const deployments = metric('Deployments', 'Sum', 'Production deployments per day');
    const changeFailureRate = new cloudwatch.MathExpression({
      // Failed deploys never counted as deployments; rolled-back ones had been.
      expression: '100 * (FILL(failed, 0) + FILL(rolledBack, 0)) / (FILL(deployments, 0) + FILL(failed, 0))',
      usingMetrics: {
        deployments,
        failed: metric('FailedDeployments', 'Sum', 'Failed'),
        rolledBack: metric('RolledBackDeployments', 'Sum', 'Rolled back'),
      },
      period: Duration.days(1),
      label: 'Change failure rate (%)',
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: period,
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Deployment frequency', left: [deployments], width: 12 }),
          new cloudwatch.GraphWidget({
            title: 'Lead time for changes (commit to production, seconds)',
            left: [metric('LeadTime', 'p50', 'Median'), metric('LeadTime', 'Maximum', 'Longest')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Change failure rate',
            left: [changeFailureRate],
            leftYAxis: { min: 0, max: 100 },
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Time to restore (first production failure to the next good deploy, seconds)',
            left: [metric('TimeToRestore', 'Average', 'Mean'), metric('TimeToRestore', 'Maximum', 'Longest')],
            width: 12,
          }),
        ],
      ],
    });
    return dashboard;
  }
}
