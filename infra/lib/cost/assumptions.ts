/**
 * What the estimate cannot read from a template: traffic and log volumes. Each is a stated guess for a quiet
 * environment at its minimum task count; docs/cost.md shows the estimate and how to change these.
 */
export const HOURS_PER_MONTH = 730;

export const ASSUMPTIONS = {
  /** Requests a month through CloudFront, the WAF and the load balancer, all over HTTPS. */
  requestsPerMonth: 1_000_000,
  /** Bytes CloudFront sends a viewer per answer, compressed headers and body (an answer is ~50 B, the page 5 KB). */
  bytesPerResponse: 2_000,
  /** Average LCUs: one LCU is 25 new connections/s, 3000 active, 1 GB/h or 1000 rule evaluations/s. */
  albLcus: 1,
  /** GB a month through the NAT gateways: image pulls, CloudWatch Logs and metrics, SSM. */
  natGbPerMonth: 10,
  /** GB of container logs a task writes a month (errors and warnings; one line per request is off by default). */
  appLogGbPerTaskMonth: 0.2,
  /** Bytes a WAF log record takes (one per request). */
  wafLogBytesPerRequest: 1500,
  /** GB of VPC flow log records a month per flow log (health checks, the canary, NAT traffic). */
  flowLogGbPerMonth: 2,
  /** Share of its raw size a log group is billed for in storage (CloudWatch archives compressed). */
  logStorageCompression: 0.15,
  /** Seconds of Lambda a canary run takes, at the canary's memory. */
  canarySecondsPerRun: 5,
  canaryMemoryGb: 1,
  /** Container Insights (standard) custom metrics per ECS service: cluster, service and task family levels. */
  containerInsightsMetricsPerService: 36,
  /** GB of Container Insights performance log events a task sends a month (about 1 KB a minute). */
  containerInsightsGbPerTaskMonth: 0.05,
} as const;
