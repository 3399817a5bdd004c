import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { bundleCheck } from '../../infra/canary/bundle.ts';
import { STAGING } from '../../infra/lib/environments.ts';
import { SAVED_QUERIES } from '../../infra/lib/service/dashboard.ts';
import { SYNTHETIC_CHECK_ALARM_WINDOW } from '../../infra/lib/service/synthetic-check.ts';
import { MANAGED_RULE_GROUPS } from '../../infra/lib/service/web-acl.ts';
import { buildServiceApp, onlyResource, resourcesOfType, type Resource } from './helpers.ts';
import { IDENTITY } from '../../src/identity.ts';

// The app as `cdk deploy` builds it, and a staging copy whose web ACL only counts.
const { stacks } = buildServiceApp({
  environments: [
    STAGING,
    {
      ...STAGING,
      name: 'counting',
      id: 'Counting',
      edge: { webAcl: { mode: 'count', requestsPerIpPer5Minutes: 50 } },
    },
  ],
});
const staging = Template.fromStack(stacks.environments.get('staging')!.service);
const productionStacks = buildServiceApp().stacks.environments.get('production')!;
const production = Template.fromStack(productionStacks.service);
// The web ACL, its logs and its alarm live in each copy's us-east-1 edge stack.
const stagingEdge = Template.fromStack(stacks.environments.get('staging')!.units[0]!.edge);
const countingEdge = Template.fromStack(stacks.environments.get('counting')!.units[0]!.edge);
const productionEdge = Template.fromStack(productionStacks.units[0]!.edge);

function find(template: Template, type: string, idPrefix: string): [string, Resource] {
  const match = resourcesOfType(template, type).find(([id]) => id.startsWith(idPrefix));
  if (!match) throw new Error(`no ${type} whose logical id starts with ${idPrefix}`);
  return match;
}
const json = (value: unknown) => JSON.stringify(value);

suite('synthetic check', () => {
  const [canaryId, canary] = find(staging, 'AWS::Synthetics::Canary', 'SyntheticCheckCanary');
  const props = canary.Properties!;

  test('runs the bundled infra/canary/check.ts every 5 minutes on syn-nodejs-puppeteer-13.0', () => {
    assert.equal(props.RuntimeVersion, 'syn-nodejs-puppeteer-13.0');
    assert.deepEqual(props.Schedule, {
      DurationInSeconds: '0',
      Expression: 'rate(5 minutes)',
      RetryConfig: { MaxRetries: 1 },
    });
    assert.deepEqual(props.Code, { Handler: 'index.handler', Script: bundleCheck() });
    assert.equal(props.StartCanaryAfterCreation, true);
  });

  test('calls the distribution over HTTPS, as clients do, from the private subnets, once the service exists', () => {
    const run = props.RunConfig as { EnvironmentVariables: { SERVICE_URL: unknown }; TimeoutInSeconds: number };
    assert.deepEqual(run.EnvironmentVariables.SERVICE_URL, {
      'Fn::Join': [
        '',
        [
          'https://',
          { 'Fn::GetAtt': [find(staging, 'AWS::CloudFront::Distribution', 'EdgeDistribution')[0], 'DomainName'] },
        ],
      ],
    });
    const subnets = (props.VPCConfig as { SubnetIds: unknown[] }).SubnetIds.map(json);
    assert.equal(subnets.length, 2);
    for (const subnet of subnets) assert.match(subnet, /PrivateSubnet/);
    assert.ok((canary.DependsOn as string[]).includes(find(staging, 'AWS::ECS::Service', 'AppService')[0]), canaryId);
    const [groupId, group] = find(staging, 'AWS::EC2::SecurityGroup', 'SyntheticCheckSecurityGroup');
    assert.deepEqual((props.VPCConfig as { SecurityGroupIds: unknown[] }).SecurityGroupIds, [
      { 'Fn::GetAtt': [groupId, 'GroupId'] },
    ]);
    assert.deepEqual(
      (
        group.Properties!.SecurityGroupEgress as {
          FromPort: number;
          ToPort: number;
          CidrIp: string;
          IpProtocol: string;
        }[]
      )
        .map(({ FromPort, ToPort, CidrIp, IpProtocol }) => [IpProtocol, FromPort, ToPort, CidrIp])
        .sort(),
      [
        ['tcp', 443, 443, '0.0.0.0/0'],
        ['tcp', 80, 80, '0.0.0.0/0'],
      ],
    );
    assert.equal(group.Properties!.SecurityGroupIngress, undefined);
  });

  test('its artifacts: KMS with its own key, versioned, access-logged, expiring, private', () => {
    const [keyId] = find(staging, 'AWS::KMS::Key', 'SyntheticCheckArtifactsKey');
    assert.deepEqual(props.ArtifactConfig, {
      S3Encryption: { EncryptionMode: 'SSE_KMS', KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
    const [bucketId, bucket] = find(staging, 'AWS::S3::Bucket', 'SyntheticCheckArtifacts');
    assert.match(json(props.ArtifactS3Location), new RegExp(`"Ref":"${bucketId}"`));
    const b = bucket.Properties!;
    assert.deepEqual(b.BucketEncryption, {
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        },
      ],
    });
    assert.deepEqual(b.VersioningConfiguration, { Status: 'Enabled' });
    assert.deepEqual(b.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(b.LoggingConfiguration, {
      DestinationBucketName: { Ref: find(staging, 'AWS::S3::Bucket', 'LoadBalancerAccessLogs')[0] },
      LogFilePrefix: 'synthetic-check-artifacts/',
    });
    assert.deepEqual(b.LifecycleConfiguration, {
      Rules: [
        {
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          ExpirationInDays: 14,
          ExpiredObjectDeleteMarker: false,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          Status: 'Enabled',
        },
      ],
    });
    assert.equal(props.SuccessRetentionPeriod, 14);
    assert.equal(props.FailureRetentionPeriod, 14);
  });

  test('one failed run in 5 minutes fires the alarm, which notifies and rolls a deployment back', () => {
    const [alarmId, alarm] = find(staging, 'AWS::CloudWatch::Alarm', 'SyntheticCheckFailed');
    assert.deepEqual(
      {
        ...alarm.Properties,
        AlarmActions: undefined,
        OKActions: undefined,
        AlarmDescription: undefined,
        Tags: undefined,
      },
      {
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'Failed',
        Dimensions: [{ Name: 'CanaryName', Value: props.Name }],
        Period: 300,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: undefined,
        OKActions: undefined,
        AlarmDescription: undefined,
        Tags: undefined,
      },
    );
    assert.deepEqual(alarm.Properties!.AlarmActions, [{ Ref: find(staging, 'AWS::SNS::Topic', 'AlarmsTopic')[0] }]);
    const deployment = onlyResource(staging, 'AWS::ECS::Service').Properties!.DeploymentConfiguration as {
      Alarms: { AlarmNames: unknown[] };
    };
    assert.ok(deployment.Alarms.AlarmNames.map(json).includes(json({ Ref: alarmId })));
  });

  test("each environment's bake time covers the check's alarm window, a run's timeout and a retry", () => {
    for (const template of [staging, production]) {
      const { BakeTimeInMinutes } = onlyResource(template, 'AWS::ECS::Service').Properties!.DeploymentConfiguration as {
        BakeTimeInMinutes: number;
      };
      const runTimeout = (
        find(template, 'AWS::Synthetics::Canary', 'SyntheticCheckCanary')[1].Properties!.RunConfig as {
          TimeoutInSeconds: number;
        }
      ).TimeoutInSeconds;
      assert.ok(
        BakeTimeInMinutes * 60 >= SYNTHETIC_CHECK_ALARM_WINDOW.toSeconds() + 2 * runTimeout,
        `${BakeTimeInMinutes} min`,
      );
    }
  });
});

suite('dashboard and saved queries', () => {
  const body = json(onlyResource(staging, 'AWS::CloudWatch::Dashboard').Properties!.DashboardBody);

  test('shows requests, 4xx and 5xx rates, p50 and p99, hosts, CPU, memory, tasks, the check and the WAF', () => {
    for (const metric of [
      'RequestCount',
      'HTTPCode_Target_4XX_Count',
      'HTTPCode_ELB_4XX_Count',
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_ELB_5XX_Count',
      'HealthyHostCount',
      'UnHealthyHostCount',
      'CPUUtilization',
      'MemoryUtilization',
      'RunningTaskCount',
      'SuccessPercent',
      'BlockedRequests',
      'CountedRequests',
    ]) {
      assert.match(body, new RegExp(`\\\\"${metric}\\\\"`), metric);
    }
    for (const percentile of ['p50', 'p99']) {
      assert.ok(body.includes(`\\"TargetResponseTime\\"`), 'TargetResponseTime');
      assert.ok(
        body.includes(`{\\"label\\":\\"${percentile}\\",\\"period\\":60,\\"stat\\":\\"${percentile}\\"}`),
        percentile,
      );
    }
  });

  test('shows the state of all four alarms of the stack (the WAF alarm is in us-east-1, with its metrics)', () => {
    const alarms = resourcesOfType(staging, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    assert.equal(alarms.length, 4);
    assert.match(body, /\\"type\\":\\"alarm\\"/);
    for (const id of alarms) assert.ok(body.includes(`{"Fn::GetAtt":["${id}","Arn"]}`), id);
  });

  test('the WAF allow list is an output of the edge stack, as name|id|scope (its Ref), for the runbook', () => {
    const output = stagingEdge.findOutputs('WafAllowList').WafAllowList as { Value: unknown };
    assert.deepEqual(output.Value, { Ref: find(stagingEdge, 'AWS::WAFv2::IPSet', 'WebAclAllowList')[0] });
  });

  test('its console address is a stack output', () => {
    const output = staging.findOutputs('DashboardUrl').DashboardUrl as { Value: unknown };
    assert.match(json(output.Value), /cloudwatch\/home\?region=eu-west-1#dashboards\/dashboard\//);
    assert.match(
      json(output.Value),
      new RegExp(`"Ref":"${find(staging, 'AWS::CloudWatch::Dashboard', 'Dashboard')[0]}"`),
    );
  });

  test('three saved Logs Insights queries over the container logs, on the fields the service logs', () => {
    const appLogs = { Ref: find(staging, 'AWS::Logs::LogGroup', 'AppLogs')[0] };
    const queries = resourcesOfType(staging, 'AWS::Logs::QueryDefinition').map(([, r]) => r.Properties!);
    assert.deepEqual(
      queries.map((q) => q.Name),
      Object.values(SAVED_QUERIES).map(({ title }) => `${IDENTITY.id}-Staging-Service/${title}`),
    );
    for (const q of queries) assert.deepEqual(q.LogGroupNames, [appLogs]);
    const [errors, oneRequest, slowest] = queries.map((q) => q.QueryString as string);
    assert.equal(
      errors,
      'fields @timestamp, requestId, msg, err.message, err.stack\n| filter level >= 50\n| sort @timestamp desc\n| limit 100',
    );
    assert.match(oneRequest!, /\| filter requestId = "PASTE-X-REQUEST-ID"\n\| sort @timestamp asc$/);
    assert.match(slowest!, /\| filter msg = "request completed"\n\| sort responseTime desc\n\| limit 50$/);
  });
});

suite('WAF web ACL', () => {
  const webAcl = (template: Template) => onlyResource(template, 'AWS::WAFv2::WebACL').Properties!;
  type Rule = {
    Name: string;
    Priority: number;
    Statement: Record<string, unknown>;
    Action?: unknown;
    OverrideAction?: unknown;
  };

  test('an allow list first, the three managed rule groups, then a rate limit per client IP', () => {
    const rules = webAcl(stagingEdge).Rules as Rule[];
    assert.deepEqual(
      rules.map((r) => [r.Priority, r.Name]),
      [
        [0, 'AllowList'],
        [10, 'AWSManagedRulesAmazonIpReputationList'],
        [20, 'AWSManagedRulesCommonRuleSet'],
        [30, 'AWSManagedRulesKnownBadInputsRuleSet'],
        [40, 'RatePerIp'],
      ],
    );
    assert.deepEqual(rules[0]!.Action, { Allow: {} });
    assert.deepEqual(rules[0]!.Statement, {
      IPSetReferenceStatement: {
        Arn: { 'Fn::GetAtt': [find(stagingEdge, 'AWS::WAFv2::IPSet', 'WebAclAllowList')[0], 'Arn'] },
      },
    });
    for (const { name } of MANAGED_RULE_GROUPS) {
      const rule = rules.find((r) => r.Name === name)!;
      assert.deepEqual(rule.Statement, { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } });
      assert.deepEqual(rule.OverrideAction, { None: {} });
    }
    // Staging's rate rule exempts the pipeline's load test (promotion-checks.test.ts); the rest of it is this.
    const { ScopeDownStatement: exemption, ...rate } = (
      rules[4]!.Statement as { RateBasedStatement: Record<string, unknown> }
    ).RateBasedStatement;
    assert.deepEqual(rate, { Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    assert.ok(exemption !== undefined);
    assert.deepEqual(rules[4]!.Action, { Block: {} });
    assert.deepEqual(webAcl(stagingEdge).DefaultAction, { Allow: {} });
    assert.equal(webAcl(stagingEdge).Scope, 'CLOUDFRONT');
  });

  test('the rate limit is set per environment', () => {
    const rate = (template: Template) =>
      (webAcl(template).Rules as Rule[]).find((r) => r.Name === 'RatePerIp')!.Statement;
    assert.equal((rate(productionEdge).RateBasedStatement as { Limit: number }).Limit, 3000);
  });

  test('count mode counts with every rule, and leaves the allow list allowing', () => {
    const rules = webAcl(countingEdge).Rules as Rule[];
    assert.deepEqual(rules[0]!.Action, { Allow: {} });
    for (const rule of rules.slice(1, 4)) assert.deepEqual(rule.OverrideAction, { Count: {} }, rule.Name);
    assert.deepEqual(rules[4]!.Action, { Count: {} });
    assert.equal((rules[4]!.Statement.RateBasedStatement as { Limit: number }).Limit, 50);
  });

  test('is in us-east-1, and the distribution names it, read across regions from the edge stack', () => {
    assert.equal(stacks.environments.get('staging')!.units[0]!.edge.region, 'us-east-1');
    const distribution = onlyResource(staging, 'AWS::CloudFront::Distribution').Properties!.DistributionConfig as {
      WebACLId: unknown;
    };
    const read = (distribution.WebACLId as { 'Fn::GetStackOutput': Record<string, string> })['Fn::GetStackOutput'];
    assert.equal(read.StackName, `${IDENTITY.id}-Staging-Edge`);
    assert.equal(read.Region, 'us-east-1');
    const output = stagingEdge.findOutputs(read.OutputName!)[read.OutputName!] as { Value: unknown };
    assert.deepEqual(output.Value, { 'Fn::GetAtt': [find(stagingEdge, 'AWS::WAFv2::WebACL', 'WebAcl')[0], 'Arn'] });
    assert.equal(resourcesOfType(staging, 'AWS::WAFv2::WebACL').length, 0);
  });

  test('logs to an aws-waf-logs- log group named anew at each stack creation, with the environment retention', () => {
    const [logsId, logGroup] = find(stagingEdge, 'AWS::Logs::LogGroup', 'WebAclLogs');
    // The stack id's last part, its UUID: a group retained from a destroyed stack cannot block the next one.
    assert.deepEqual(logGroup.Properties!.LogGroupName, {
      'Fn::Join': [
        '',
        [
          `aws-waf-logs-${webAcl(stagingEdge).Name as string}-`,
          { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
        ],
      ],
    });
    assert.equal(logGroup.Properties!.RetentionInDays, 14);
    const [, productionLogs] = find(productionEdge, 'AWS::Logs::LogGroup', 'WebAclLogs');
    assert.equal(productionLogs.Properties!.RetentionInDays, 365);
    stagingEdge.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [find(stagingEdge, 'AWS::WAFv2::WebACL', 'WebAcl')[0], 'Arn'] },
      LogDestinationConfigs: [
        { 'Fn::Join': ['', ['arn:aws:logs:us-east-1:', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logsId }]] },
      ],
    });
  });

  test('alarms on a spike of blocked and counted requests, notifying only', () => {
    const [, alarm] = find(stagingEdge, 'AWS::CloudWatch::Alarm', 'WebAclBlockSpike');
    const p = alarm.Properties!;
    assert.equal(p.Threshold, 500);
    assert.equal(p.EvaluationPeriods, 1);
    assert.match(json(p.Metrics), /FILL\(blocked, 0\) \+ FILL\(counted, 0\)/);
    for (const metric of ['BlockedRequests', 'CountedRequests']) assert.match(json(p.Metrics), new RegExp(metric));
    assert.match(json(p.Metrics), /"Name":"Rule","Value":"ALL"/);
    const deployment = onlyResource(staging, 'AWS::ECS::Service').Properties!.DeploymentConfiguration;
    assert.doesNotMatch(json(deployment), /WebAclBlockSpike/);
  });

  test('refuses a rate limit below WAF minimum and an allow-list entry that is not an IPv4 CIDR', () => {
    const build = (webAclSettings: object) => () =>
      buildServiceApp({
        environments: [{ ...STAGING, edge: { webAcl: webAclSettings as never } }],
      });
    assert.throws(
      build({ requestsPerIpPer5Minutes: 9 }),
      /requestsPerIpPer5Minutes must be a whole number from 10, got 9/,
    );
    assert.throws(
      build({ requestsPerIpPer5Minutes: 100, allowedIpv4Cidrs: ['203.0.113.7'] }),
      /allowedIpv4Cidrs: "203.0.113.7" is not an IPv4 CIDR such as 203.0.113.7\/32/,
    );
  });
});
