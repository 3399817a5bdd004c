/**
 * On-demand list prices in US dollars for the region the stacks deploy to, read on the date below. One table, so
 * that a price change is one line. The free tiers (3 dashboards, 10 alarm metrics, 5 GB of logs, 100 canary runs a
 * month per account) are left out: they are shared by everything else in the account.
 */
export const PRICES_REGION = 'eu-west-1';
export const PRICES_DATE = '2026-12-01';

export interface Price {
  readonly usd: number;
  /** What one unit is. */
  readonly unit: string;
  /** The AWS pricing page the figure is from. */
  readonly source: string;
}

const VPC = 'https://aws.amazon.com/vpc/pricing/';
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const FARGATE = 'https://aws.amazon.com/fargate/pricing/';

export const PRICES = {
  natGatewayHour: { usd: 0.048, unit: 'NAT gateway-hour', source: VPC },
  natGatewayGb: { usd: 0.048, unit: 'GB processed by a NAT gateway', source: VPC },
  publicIpv4Hour: { usd: 0.005, unit: 'public IPv4 address-hour', source: VPC },
  albHour: { usd: 0.0252, unit: 'Application Load Balancer-hour', source: ELB },
  albLcuHour: { usd: 0.008, unit: 'LCU-hour', source: ELB },
  fargateVcpuHour: { usd: 0.04048, unit: 'vCPU-hour (Linux/x86)', source: FARGATE },
  fargateGbHour: { usd: 0.004445, unit: 'GB-hour (Linux/x86)', source: FARGATE },
  // Graviton, 20 % less for both; the page's Linux/ARM rows for eu-west-1 on PRICES_DATE.
  fargateArmVcpuHour: { usd: 0.03238, unit: 'vCPU-hour (Linux/ARM)', source: FARGATE },
  fargateArmGbHour: { usd: 0.00356, unit: 'GB-hour (Linux/ARM)', source: FARGATE },
  alarmMetricMonth: { usd: 0.1, unit: 'standard-resolution alarm metric-month', source: CLOUDWATCH },
  dashboardMonth: { usd: 3, unit: 'dashboard-month', source: CLOUDWATCH },
  customMetricMonth: { usd: 0.3, unit: 'custom metric-month (first 10,000)', source: CLOUDWATCH },
  logsIngestGb: { usd: 0.57, unit: 'GB ingested (Standard class)', source: CLOUDWATCH },
  vendedLogsGb: { usd: 0.57, unit: 'GB of vended logs delivered (first 10 TB)', source: CLOUDWATCH },
  logsStoreGbMonth: { usd: 0.03, unit: 'GB-month archived', source: CLOUDWATCH },
  canaryRun: { usd: 0.0012, unit: 'canary run', source: CLOUDWATCH },
  lambdaGbSecond: {
    usd: 0.0000166667,
    unit: 'Lambda GB-second (x86)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  kmsKeyMonth: { usd: 1, unit: 'customer managed key-month', source: 'https://aws.amazon.com/kms/pricing/' },
  // Price class 100 (North America and Europe), the first 10 TB; the always-free tier (1 TB, 10 M requests) is ignored.
  cloudFrontHttps10k: {
    usd: 0.01,
    unit: '10,000 HTTPS requests',
    source: 'https://aws.amazon.com/cloudfront/pricing/',
  },
  cloudFrontGbOut: { usd: 0.085, unit: 'GB to viewers', source: 'https://aws.amazon.com/cloudfront/pricing/' },
  wafWebAclMonth: { usd: 5, unit: 'web ACL-month', source: 'https://aws.amazon.com/waf/pricing/' },
  wafRuleMonth: { usd: 1, unit: 'rule or managed rule group-month', source: 'https://aws.amazon.com/waf/pricing/' },
  wafMillionRequests: { usd: 0.6, unit: 'million requests inspected', source: 'https://aws.amazon.com/waf/pricing/' },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
