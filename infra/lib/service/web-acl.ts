import { ArnFormat, Duration, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeShortRetention, TEST_ENVIRONMENT_RETENTION } from '../log-storage.ts';

/** `block` enforces every rule; `count` only counts what it would block: for a first rollout, to find false positives. */
export type WebAclMode = 'block' | 'count';

export interface WebAclSettings {
  /** @default 'block' */
  readonly mode?: WebAclMode;
  /** Requests one client IP may make in any 5 minutes before the rate rule blocks it (WAF's minimum is 10). */
  readonly requestsPerIpPer5Minutes: number;
  /**
   * IPv4 CIDRs that skip every other rule: how a wrongly blocked client is let through (docs/operations.md).
   * @default [] (the IP set exists, empty, so that adding one is a one-line change)
   */
  readonly allowedIpv4Cidrs?: readonly string[];
  /** Blocked (or, in count mode, counted) requests in 5 minutes above which the spike alarm fires. @default 500 */
  readonly blockSpikeThreshold?: number;
}

/**
 * Requests that carry this header with this value are not counted by the per-IP rate rule; every other rule still
 * applies to them. For the pipeline's load test (docs/decisions/load-test-exemption.md).
 */
export interface RateLimitExemption {
  /** Lower case, e.g. x-load-test-token. */
  readonly headerName: string;
  /** A secret's value, resolved at deploy: whoever knows it is exempt. */
  readonly headerValue: string;
}

export interface WebAclProps extends WebAclSettings {
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Encrypts the WAF log group (Control Tower CT.CLOUDWATCH.PR.3): the stack's log key. */
  readonly logKey: kms.IKey;
  /** @default none: the rate rule counts every request */
  readonly rateLimitExemption?: RateLimitExemption;
}

/**
 * The AWS managed rule groups that fit an HTTP API, in the order WAF evaluates them (lowest priority first).
 * Bot Control and the SQL/PHP/WordPress groups are left out: the API has no forms, no database and no CMS.
 */
export const MANAGED_RULE_GROUPS = [
  { name: 'AWSManagedRulesAmazonIpReputationList', priority: 10 },
  { name: 'AWSManagedRulesCommonRuleSet', priority: 20 },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet', priority: 30 },
] as const;
const ALLOW_LIST_PRIORITY = 0;
const RATE_LIMIT_PRIORITY = 40;

/**
 * An AWS WAF web ACL for a CloudFront distribution: an allow list first, the managed rule groups, and a rate limit
 * per client IP; its logs in CloudWatch Logs; and an alarm on a spike of blocked requests.
 *
 * CLOUDFRONT scope, so it must be created in us-east-1 (the edge stack, infra/lib/edge-stack.ts); the distribution
 * names it (there is no association resource for CloudFront). At the edge the address WAF sees is the viewer's own,
 * so the rate limit counts real clients, not the load balancer's or a proxy's address.
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly allowList: wafv2.CfnIPSet;
  public readonly logGroup: logs.LogGroup;
  public readonly mode: WebAclMode;
  /** Requests the web ACL blocked, all rules together. */
  public readonly blockedRequests: cloudwatch.Metric;
  /** Requests a rule counted (in count mode: the ones it would have blocked). */
  public readonly countedRequests: cloudwatch.Metric;
  /** Blocked plus counted requests above the threshold in 5 minutes: an attack, or a rule blocking real clients. */
  public readonly blockSpike: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    if (!Token.isUnresolved(Stack.of(this).region) && Stack.of(this).region !== 'us-east-1') {
      throw new Error(
        `${this.node.path}: a CLOUDFRONT web ACL must be created in us-east-1, not ${Stack.of(this).region}`,
      );
    }
    this.mode = props.mode ?? 'block';
    const limit = props.requestsPerIpPer5Minutes;
    if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
      throw new Error(`${this.node.path}: requestsPerIpPer5Minutes must be a whole number from 10, got ${limit}`);
    }
    for (const cidr of props.allowedIpv4Cidrs ?? []) {
      if (!/^(\d{1,3}\.){3}\d{1,3}\/([1-9]|[12]\d|3[0-2])$/.test(cidr)) {
        throw new Error(
          `${this.node.path}: allowedIpv4Cidrs: ${JSON.stringify(cidr)} is not an IPv4 CIDR such as 203.0.113.7/32`,
        );
      }
    }

    const exemption = props.rateLimitExemption;
    if (exemption !== undefined && !/^[a-z0-9-]{1,64}$/.test(exemption.headerName)) {
      throw new Error(
        `${this.node.path}: rateLimitExemption.headerName ${JSON.stringify(exemption.headerName)} must be a lower-case header name`,
      );
    }

    const name = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const counting = this.mode === 'count';

    this.allowList = new wafv2.CfnIPSet(this, 'AllowList', {
      scope: 'CLOUDFRONT',
      ipAddressVersion: 'IPV4',
      addresses: [...(props.allowedIpv4Cidrs ?? [])],
      // CloudFormation allows no parentheses or quotes here.
      description: 'Clients that skip every other rule of the web ACL - docs/operations.md, Unblock a client',
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        {
          name: 'AllowList',
          priority: ALLOW_LIST_PRIORITY,
          statement: { ipSetReferenceStatement: { arn: this.allowList.attrArn } },
          action: { allow: {} },
          visibilityConfig: visibility('AllowList'),
        },
        ...MANAGED_RULE_GROUPS.map(({ name: ruleGroup, priority }) => ({
          name: ruleGroup,
          priority,
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: ruleGroup } },
          // Count mode turns each group's block actions into counts; `none` keeps the group's own actions.
          overrideAction: counting ? { count: {} } : { none: {} },
          visibilityConfig: visibility(ruleGroup),
        })),
        {
          name: 'RatePerIp',
          priority: RATE_LIMIT_PRIORITY,
          statement: {
            rateBasedStatement: {
              limit,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              // Only requests outside the scope-down statement are counted: the exempt header keeps a request out.
              ...(exemption && {
                scopeDownStatement: {
                  notStatement: {
                    statement: {
                      byteMatchStatement: {
                        fieldToMatch: { singleHeader: { Name: exemption.headerName } },
                        positionalConstraint: 'EXACTLY',
                        searchString: exemption.headerValue,
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  },
                },
              }),
            },
          },
          action: counting ? { count: {} } : { block: {} },
          visibilityConfig: visibility('RatePerIp'),
        },
      ],
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // WAF delivers only to log groups whose name starts with aws-waf-logs-. The stack id's UUID makes the name
      // new at each creation of the stack: a retained group from a destroyed one would otherwise block the redeploy
      // ("already exists"). 13 + 100 + 1 + 36 characters, well within the 512 a log group name may have.
      logGroupName: `aws-waf-logs-${name}-${Fn.select(2, Fn.split('/', Stack.of(this).stackId))}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logKey,
    });
    acknowledgeShortRetention(this.logGroup, props.logRetention, 'WAF logs', TEST_ENVIRONMENT_RETENTION);
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the ":*" that CDK's logGroupArn carries: WAF rejects that form.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });

    const wafMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        // A CLOUDFRONT web ACL's metrics are in us-east-1 and have no Region dimension.
        dimensionsMap: { WebACL: name, Rule: 'ALL' },
        region: 'us-east-1',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    this.blockedRequests = wafMetric('BlockedRequests');
    this.countedRequests = wafMetric('CountedRequests');

    const threshold = props.blockSpikeThreshold ?? 500;
    this.blockSpike = new cloudwatch.Alarm(this, 'BlockSpike', {
      alarmDescription:
        `More than ${threshold} requests blocked (or counted, in count mode) by the web ACL in 5 minutes: an attack, ` +
        'or a rule that blocks real clients. Notifies only.',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(blocked, 0) + FILL(counted, 0)',
        label: 'Blocked and counted requests',
        usingMetrics: { blocked: this.blockedRequests, counted: this.countedRequests },
        period: Duration.minutes(5),
      }),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
