import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';

export interface ServiceDashboardProps {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Both target groups of the canary pair: either may be the one serving. */
  readonly targetGroups: readonly [elbv2.ApplicationTargetGroup, elbv2.ApplicationTargetGroup];
  readonly service: ecs.FargateService;
  readonly cluster: ecs.ICluster;
  readonly canary: synthetics.Canary;
  readonly waf: { readonly blockedRequests: cloudwatch.IMetric; readonly countedRequests: cloudwatch.IMetric };
  /** Every alarm of the environment, shown by state. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The container logs, for the saved queries. */
  readonly appLogGroup: logs.ILogGroup;
}

const PERIOD = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * Saved CloudWatch Logs Insights queries over the service's pino lines. Fields, as the service writes them:
 * level (30 info, 40 warn, 50 error), requestId (the x-request-id header), msg, err.message and err.stack on
 * errors, req.method and req.url on "incoming request", res.statusCode and responseTime (ms) on "request completed".
 * The last two lines exist only with LOG_REQUESTS=true (the logRequests setting).
 */
export const SAVED_QUERIES = {
  errors: {
    title: 'errors with their request id',
    query: new logs.QueryString({
      fields: ['@timestamp', 'requestId', 'msg', 'err.message', 'err.stack'],
      filterStatements: ['level >= 50'],
      sort: '@timestamp desc',
      limit: 100,
    }),
  },
  oneRequest: {
    title: 'one request by x-request-id',
    query: new logs.QueryString({
      fields: ['@timestamp', 'level', 'msg', 'req.method', 'req.url', 'res.statusCode', 'responseTime', 'reason'],
      // Replace the placeholder with the x-request-id of the response (or the id a 500 body names).
      filterStatements: ['requestId = "PASTE-X-REQUEST-ID"'],
      sort: '@timestamp asc',
    }),
  },
  slowest: {
    title: 'slowest requests',
    query: new logs.QueryString({
      fields: ['@timestamp', 'requestId', 'res.statusCode', 'responseTime'],
      filterStatements: ['msg = "request completed"'],
      sort: 'responseTime desc',
      limit: 50,
    }),
  },
} as const;

/** The environment's CloudWatch dashboard and its saved Logs Insights queries. */
export class ServiceDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** The console address of the dashboard, for the stack output. */
  public readonly url: string;
  public readonly queries: logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const [blue, green] = props.targetGroups;
    const lb = props.loadBalancer.metrics;
    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };
    // Metric ids share one namespace across the expressions of a graph, hence the prefix.
    const both = (prefix: string, label: string, metric: (group: elbv2.ApplicationTargetGroup) => cloudwatch.IMetric) =>
      new cloudwatch.MathExpression({
        expression: `FILL(${prefix}Blue, 0) + FILL(${prefix}Green, 0)`,
        label,
        usingMetrics: { [`${prefix}Blue`]: metric(blue), [`${prefix}Green`]: metric(green) },
        period: PERIOD,
      });
    const rate = (label: string, expression: string, usingMetrics: Record<string, cloudwatch.IMetric>) =>
      new cloudwatch.MathExpression({ expression, label, usingMetrics, period: PERIOD });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms],
        width: 24,
        height: 3,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests per minute',
        left: [lb.requestCount({ ...sum, label: 'Requests' })],
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: '4xx and 5xx, % of requests',
        left: [
          rate('4xx from targets and load balancer %', '100 * (FILL(t4, 0) + FILL(e4, 0)) / requests4', {
            t4: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, sum),
            e4: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_4XX_COUNT, sum),
            requests4: lb.requestCount(sum),
          }),
          rate('5xx from targets and load balancer %', '100 * (FILL(t5, 0) + FILL(e5, 0)) / requests5', {
            t5: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
            e5: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, sum),
            requests5: lb.requestCount(sum),
          }),
        ],
        leftYAxis: { min: 0, label: '%', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target response time',
        left: [
          lb.targetResponseTime({ period: PERIOD, statistic: cloudwatch.Stats.p(50), label: 'p50' }),
          lb.targetResponseTime({ period: PERIOD, statistic: cloudwatch.Stats.p(99), label: 'p99' }),
        ],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    const maximum = { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM };
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Healthy and unhealthy targets (both target groups)',
        left: [
          both('healthy', 'Healthy', (group) => group.metrics.healthyHostCount(maximum)),
          both('unhealthy', 'Unhealthy', (group) => group.metrics.unhealthyHostCount(maximum)),
        ],
        leftYAxis: { min: 0 },
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'ECS CPU and memory, % of reserved',
        left: [
          props.service.metricCpuUtilization({ period: PERIOD, label: 'CPU (average)' }),
          props.service.metricMemoryUtilization({ period: PERIOD, label: 'Memory (average)' }),
        ],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'Running tasks',
        left: [
          new cloudwatch.Metric({
            namespace: 'ECS/ContainerInsights',
            metricName: 'RunningTaskCount',
            dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
            statistic: cloudwatch.Stats.AVERAGE,
            period: PERIOD,
            label: 'Running tasks',
          }),
        ],
        leftYAxis: { min: 0 },
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Synthetic check: success %',
        left: [props.canary.metricSuccessPercent({ period: Duration.minutes(5), label: 'Success %' })],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: WIDTH,
        height: HEIGHT,
      }),
      new cloudwatch.GraphWidget({
        title: 'WAF: blocked and counted requests per 5 minutes',
        left: [props.waf.blockedRequests, props.waf.countedRequests],
        leftYAxis: { min: 0 },
        width: WIDTH,
        height: HEIGHT,
      }),
    );

    this.queries = Object.entries(SAVED_QUERIES).map(
      ([key, { title, query }]) =>
        new logs.QueryDefinition(this, `Query-${key}`, {
          // The console files saved queries in folders by the part before the last "/".
          queryDefinitionName: `${stack.stackName}/${title}`,
          queryString: query,
          logGroups: [props.appLogGroup],
        }),
    );

    this.url =
      `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }
}
