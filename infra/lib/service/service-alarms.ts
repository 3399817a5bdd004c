import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmTopic } from './alarm-topic.ts';

export interface ServiceAlarmsProps {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Both target groups of the canary pair: after each deployment the other one takes production traffic. */
  readonly targetGroups: readonly [elbv2.ApplicationTargetGroup, elbv2.ApplicationTargetGroup];
  /** Percentage of requests answered with a 5xx above which the 5xx alarm fires. */
  readonly serverErrorRatePercent: number;
  /** p99 of the target response time above which the latency alarm fires. */
  readonly p99Latency: Duration;
  /** Subscribed to the alarm topic by email (the recipient must confirm). @default - no subscription */
  readonly alarmEmail?: string;
}

const PERIOD = Duration.minutes(1);

/**
 * How long after a minute ends its load balancer data point can be late to an alarm: ALB publishes each
 * minute's data about a minute after it ends, and an alarm evaluates once a minute. A canary must bake at least
 * a rollback alarm's evaluation window plus this, or the traffic moves on before the alarm can fire.
 */
export const METRIC_DELAY = Duration.minutes(2);
/** The rollback alarms fire on 2 bad minutes out of this many. */
const ROLLBACK_EVALUATION_PERIODS = 3;

/**
 * The service's alarms and the SNS topic they notify. The 5xx and unhealthy-host alarms look at each
 * target group separately and take the worst: a canary that fails every request while it receives 10 %
 * of the traffic shows a 100 % error rate in its own group, not 10 % overall.
 */
export class ServiceAlarms extends Construct {
  public readonly topic: sns.Topic;
  /**
   * 5xx answers as a share of requests: from the targets, or from the load balancer in minutes when a target was
   * healthy. Rolls a deployment back.
   */
  public readonly serverErrorRate: cloudwatch.Alarm;
  /** Targets failing the load balancer's health check. Rolls a deployment back. */
  public readonly unhealthyTargets: cloudwatch.Alarm;
  /** The alarms that roll a deployment back: the canary must bake long enough for each to fire. */
  public readonly rollbackAlarms: readonly cloudwatch.Alarm[];
  /** Slow answers. Notifies only: latency during a deployment is not by itself a reason to roll back. */
  public readonly p99Latency: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const [blue, green] = props.targetGroups;

    this.topic = alarmTopic(this, props.alarmEmail);

    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };
    const maximum = { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM };
    // Metric ids share one namespace across nested expressions, hence the prefix.
    const errorRate = (prefix: string, errors: cloudwatch.IMetric, requests: cloudwatch.IMetric) =>
      new cloudwatch.MathExpression({
        expression: `100 * FILL(${prefix}Errors, 0) / ${prefix}Requests`,
        usingMetrics: { [`${prefix}Errors`]: errors, [`${prefix}Requests`]: requests },
        period: PERIOD,
      });
    this.serverErrorRate = new cloudwatch.Alarm(this, 'ServerErrorRate', {
      alarmDescription:
        `More than ${props.serverErrorRatePercent} % of requests answered 5xx in 2 of the last 3 minutes, ` +
        'in either target group, or at the load balancer while a target group has a healthy target. ' +
        'Rolls back a deployment in progress.',
      metric: new cloudwatch.MathExpression({
        expression: 'MAX([blueRate, greenRate, loadBalancerRate])',
        label: '5xx rate (%), worst of both target groups and the load balancer (while serving)',
        usingMetrics: {
          blueRate: errorRate(
            'blue',
            blue.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
            blue.metrics.requestCount(sum),
          ),
          greenRate: errorRate(
            'green',
            green.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
            green.metrics.requestCount(sum),
          ),
          // The load balancer's own 5xx (502 and 504 from a task that resets or stalls connections) count only in a
          // minute when a target group had a healthy target. Before any task is registered, every request gets an
          // ELB 503 (internet scanners send them as soon as the load balancer exists); counted, they would fire
          // this alarm during the first create, and ECS fails a deployment on its alarm when there is no earlier
          // COMPLETED deployment to roll back to, so the stack create fails. The minute a first target turns healthy
          // may still hold earlier 503s, but the alarm needs two bad minutes, and in the next one targets serve.
          loadBalancerRate: new cloudwatch.MathExpression({
            expression: 'IF(FILL(blueHealthy, 0) + FILL(greenHealthy, 0) >= 1, loadBalancerAnyRate, 0)',
            usingMetrics: {
              blueHealthy: blue.metrics.healthyHostCount(maximum),
              greenHealthy: green.metrics.healthyHostCount(maximum),
              loadBalancerAnyRate: errorRate(
                'loadBalancer',
                props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, sum),
                props.loadBalancer.metrics.requestCount(sum),
              ),
            },
            period: PERIOD,
          }),
        },
        period: PERIOD,
      }),
      threshold: props.serverErrorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: ROLLBACK_EVALUATION_PERIODS,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.unhealthyTargets = new cloudwatch.Alarm(this, 'UnhealthyTargets', {
      alarmDescription:
        'A target failed the load balancer health check in 2 of the last 3 minutes. Rolls back a deployment in progress.',
      metric: new cloudwatch.MathExpression({
        expression: 'MAX([FILL(blue, 0), FILL(green, 0)])',
        label: 'Unhealthy targets, worst target group',
        usingMetrics: {
          blue: blue.metrics.unhealthyHostCount(maximum),
          green: green.metrics.unhealthyHostCount(maximum),
        },
        period: PERIOD,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: ROLLBACK_EVALUATION_PERIODS,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.p99Latency = new cloudwatch.Alarm(this, 'P99Latency', {
      alarmDescription: `p99 target response time above ${props.p99Latency.toMilliseconds()} ms in 3 of the last 5 minutes.`,
      metric: props.loadBalancer.metrics.targetResponseTime({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
      threshold: props.p99Latency.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.rollbackAlarms = [this.serverErrorRate, this.unhealthyTargets];

    const notify = new actions.SnsAction(this.topic);
    for (const alarm of [this.serverErrorRate, this.unhealthyTargets, this.p99Latency]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}

/** How far back an alarm looks when it decides: its evaluation periods times its longest metric period. */
export function evaluationWindow(alarm: cloudwatch.Alarm): Duration {
  const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
  const queries = (Array.isArray(cfn.metrics) ? cfn.metrics : []) as cloudwatch.CfnAlarm.MetricDataQueryProperty[];
  const periods = [
    cfn.period,
    ...queries.map((query) => (query.metricStat as cloudwatch.CfnAlarm.MetricStatProperty | undefined)?.period),
    ...queries.map((query) => query.period),
  ].filter((period): period is number => typeof period === 'number');
  if (periods.length === 0) throw new Error(`${alarm.node.path}: no metric period to compute the alarm's window from`);
  return Duration.seconds((cfn.evaluationPeriods ?? 1) * Math.max(...periods));
}
