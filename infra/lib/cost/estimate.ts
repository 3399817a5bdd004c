import { ASSUMPTIONS, HOURS_PER_MONTH } from './assumptions.ts';
import { PRICES, type PriceName } from './prices.ts';

/** A synthesised CloudFormation template, as `cdk synth` writes it. */
export interface TemplateJson {
  readonly Resources?: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
}

export interface CostLine {
  /** The billable item, e.g. "NAT gateways". */
  readonly item: string;
  /** How the figure is made: quantities times unit prices. */
  readonly detail: string;
  readonly usd: number;
}

export interface Estimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

type Assumptions = { -readonly [K in keyof typeof ASSUMPTIONS]: number };

const resources = (templates: readonly TemplateJson[], type: string) =>
  templates.flatMap((t) => Object.values(t.Resources ?? {}).filter((r) => r.Type === type));

/** One term of a line: quantity × unit price, written out. */
function term(quantity: number, price: PriceName, label = '') {
  const { usd, unit } = PRICES[price];
  const shown = Number.isInteger(quantity) ? String(quantity) : quantity.toFixed(2);
  return { usd: quantity * usd, text: `${shown}${label} × $${usd} per ${unit}` };
}

function line(item: string, ...terms: { usd: number; text: string }[]): CostLine {
  return { item, detail: terms.map((t) => t.text).join(' + '), usd: terms.reduce((sum, t) => sum + t.usd, 0) };
}

/** The metrics an alarm is billed for: one, or each metric (not expression) of a metric math alarm. */
function alarmMetrics(properties: Record<string, unknown>): number {
  const metrics = properties.Metrics as { MetricStat?: unknown }[] | undefined;
  return metrics === undefined ? 1 : metrics.filter((m) => m.MetricStat !== undefined).length;
}

/** Runs a month of a `rate(N minute[s]|hour[s])` schedule. */
function runsPerMonth(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  if (!match) throw new Error(`cannot count the runs of schedule ${JSON.stringify(expression)}`);
  const minutes = Number(match[1]) * (match[2]?.startsWith('hour') === true ? 60 : 1);
  return (HOURS_PER_MONTH * 60) / minutes;
}

/**
 * The monthly cost of one environment from its network and service templates: what they create (NAT gateways,
 * load balancer, tasks at their minimum count, alarms, keys, canary, web ACL, logs) times the prices in prices.ts,
 * with ASSUMPTIONS for what depends on traffic.
 */
export function estimateEnvironment(
  stacks: { readonly edge: TemplateJson; readonly network: TemplateJson; readonly service: TemplateJson },
  overrides: Partial<Assumptions> = {},
): Estimate {
  const a: Assumptions = { ...ASSUMPTIONS, ...overrides };
  const templates = [stacks.edge, stacks.network, stacks.service];
  const lines: CostLine[] = [];

  const nats = resources(templates, 'AWS::EC2::NatGateway').length;
  lines.push(
    line(
      'NAT gateways',
      term(nats * HOURS_PER_MONTH, 'natGatewayHour', ' h'),
      term(a.natGbPerMonth, 'natGatewayGb', ' GB'),
    ),
  );

  const albs = resources(templates, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  // An internet-facing load balancer holds one public address per zone (subnet); an internal one, behind the
  // CloudFront VPC origin, holds none. Each NAT gateway holds one.
  const albAddresses = albs
    .filter((r) => r.Properties?.Scheme !== 'internal')
    .reduce((sum, r) => sum + ((r.Properties?.Subnets as unknown[] | undefined)?.length ?? 0), 0);
  const eips = resources(templates, 'AWS::EC2::EIP').length;
  lines.push(
    line('Public IPv4 addresses', term((albAddresses + eips) * HOURS_PER_MONTH, 'publicIpv4Hour', ' address-h')),
  );
  lines.push(
    line(
      'Load balancer',
      term(albs.length * HOURS_PER_MONTH, 'albHour', ' h'),
      term(albs.length * a.albLcus * HOURS_PER_MONTH, 'albLcuHour', ' LCU-h'),
    ),
  );

  // Every request passes the distribution; a cache hit never reaches the load balancer (the estimate counts them all
  // there anyway: at a quiet environment's volume, the difference is cents).
  const distributions = resources(templates, 'AWS::CloudFront::Distribution').length;
  if (distributions > 0) {
    lines.push(
      line(
        'CloudFront',
        term((distributions * a.requestsPerMonth) / 10_000, 'cloudFrontHttps10k', ' × 10k requests'),
        term((distributions * a.requestsPerMonth * a.bytesPerResponse) / 1e9, 'cloudFrontGbOut', ' GB'),
      ),
    );
  }

  // Tasks at the minimum the autoscaling keeps, all month.
  const ecsTargets = resources(templates, 'AWS::ApplicationAutoScaling::ScalableTarget').filter(
    (r) => r.Properties?.ServiceNamespace === 'ecs',
  );
  const minTasks = ecsTargets.reduce((sum, r) => sum + Number(r.Properties?.MinCapacity), 0);
  const [task] = resources(templates, 'AWS::ECS::TaskDefinition');
  const vcpu = Number(task?.Properties?.Cpu ?? 0) / 1024;
  const gb = Number(task?.Properties?.Memory ?? 0) / 1024;
  // Fargate's default, without a RuntimePlatform, is x86_64.
  const arm =
    (task?.Properties?.RuntimePlatform as { CpuArchitecture?: string } | undefined)?.CpuArchitecture === 'ARM64';
  lines.push(
    line(
      `Fargate (${minTasks} tasks of ${vcpu} vCPU, ${gb} GB${arm ? ', ARM' : ''})`,
      term(minTasks * vcpu * HOURS_PER_MONTH, arm ? 'fargateArmVcpuHour' : 'fargateVcpuHour', ' vCPU-h'),
      term(minTasks * gb * HOURS_PER_MONTH, arm ? 'fargateArmGbHour' : 'fargateGbHour', ' GB-h'),
    ),
  );

  const alarms = resources(templates, 'AWS::CloudWatch::Alarm');
  const alarmMetricCount = alarms.reduce((sum, r) => sum + alarmMetrics(r.Properties ?? {}), 0);
  lines.push(
    line(`CloudWatch alarms (${alarms.length})`, term(alarmMetricCount, 'alarmMetricMonth', ' alarm metrics')),
  );
  lines.push(
    line('CloudWatch dashboards', term(resources(templates, 'AWS::CloudWatch::Dashboard').length, 'dashboardMonth')),
  );

  // The log groups a WAF logging configuration delivers to, found by reference: their names are built at deploy time.
  const wafDestinations = JSON.stringify(resources([stacks.edge], 'AWS::WAFv2::LoggingConfiguration'));
  const serviceLogGroupIds = [stacks.edge, stacks.service]
    .flatMap((t) => Object.entries(t.Resources ?? {}))
    .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')
    .map(([id, r]) => ({ r, waf: wafDestinations.includes(`{"Ref":"${id}"}`) }));
  const wafLogGroups = serviceLogGroupIds.filter((g) => g.waf).map((g) => g.r);
  const appGroups = serviceLogGroupIds.filter((g) => !g.waf).map((g) => g.r);
  const flowLogGroups = resources([stacks.network], 'AWS::Logs::LogGroup');
  const flowLogs = resources(templates, 'AWS::EC2::FlowLog').filter((r) => r.Properties?.LogDestinationType !== 's3');
  const webAcls = resources(templates, 'AWS::WAFv2::WebACL');
  // The network's flow log group and the WAF's are vended logs; the rest (the container logs) are the app's own.
  const appLogGb = minTasks * a.appLogGbPerTaskMonth;
  const wafLogGb = wafLogGroups.length > 0 ? (a.requestsPerMonth * a.wafLogBytesPerRequest) / 1e9 : 0;
  const flowLogGb = flowLogs.length * a.flowLogGbPerMonth;
  // At steady state a group holds its retention's worth of months; with no retention, ten years.
  const retentionMonths = (r: { Properties?: Record<string, unknown> }) =>
    Number(r.Properties?.RetentionInDays ?? 3653) / 30.4;
  const longest = (groups: readonly { Properties?: Record<string, unknown> }[]) =>
    Math.max(0, ...groups.map(retentionMonths));
  lines.push(
    line(
      'CloudWatch Logs: container logs',
      term(appLogGb, 'logsIngestGb', ' GB'),
      term(appLogGb * a.logStorageCompression * longest(appGroups), 'logsStoreGbMonth', ' GB stored'),
    ),
  );
  lines.push(
    line(
      `VPC flow logs (${flowLogs.length})`,
      term(flowLogGb, 'vendedLogsGb', ' GB'),
      term(flowLogGb * a.logStorageCompression * longest(flowLogGroups), 'logsStoreGbMonth', ' GB stored'),
    ),
  );

  const clusters = resources(templates, 'AWS::ECS::Cluster').filter((r) =>
    ((r.Properties?.ClusterSettings as { Name: string; Value: string }[] | undefined) ?? []).some(
      (s) => s.Name === 'containerInsights' && s.Value !== 'disabled',
    ),
  );
  const services = clusters.length === 0 ? 0 : resources(templates, 'AWS::ECS::Service').length;
  lines.push(
    line(
      'Container Insights',
      term(services * a.containerInsightsMetricsPerService, 'customMetricMonth', ' metrics'),
      term(minTasks * a.containerInsightsGbPerTaskMonth, 'logsIngestGb', ' GB of performance events'),
    ),
  );

  lines.push(line('KMS keys', term(resources(templates, 'AWS::KMS::Key').length, 'kmsKeyMonth')));

  const runs = resources(templates, 'AWS::Synthetics::Canary').reduce(
    (sum, r) => sum + runsPerMonth((r.Properties?.Schedule as { Expression: string }).Expression),
    0,
  );
  lines.push(
    line(
      'Synthetics canary runs',
      term(runs, 'canaryRun', ' runs'),
      term(runs * a.canarySecondsPerRun * a.canaryMemoryGb, 'lambdaGbSecond', ' GB-s'),
    ),
  );

  const rules = webAcls.reduce((sum, r) => sum + ((r.Properties?.Rules as unknown[] | undefined)?.length ?? 0), 0);
  lines.push(
    line(
      `WAF (${rules} rules)`,
      term(webAcls.length, 'wafWebAclMonth', ' web ACL'),
      term(rules, 'wafRuleMonth', ' rules'),
      term(webAcls.length === 0 ? 0 : a.requestsPerMonth / 1e6, 'wafMillionRequests', ' M requests'),
    ),
  );
  lines.push(
    line(
      'WAF logs',
      term(wafLogGb, 'vendedLogsGb', ' GB'),
      term(wafLogGb * a.logStorageCompression * longest(wafLogGroups), 'logsStoreGbMonth', ' GB stored'),
    ),
  );

  return { lines, totalUsd: lines.reduce((sum, l) => sum + l.usd, 0) };
}
