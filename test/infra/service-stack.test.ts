import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildServiceApp, onlyResource, resourcesOfType } from './helpers.ts';
import { IMAGE_CONTRACT } from '../../infra/lib/service/image-contract.ts';
import { LOAD_TEST_HEADER } from '../../infra/lib/load-test.ts';
import { STAGING } from '../../infra/lib/environments.ts';
import { IDENTITY } from '../../src/identity.ts';

// One synthesis of the app exactly as infra/bin/app.ts builds it, shared by every test in this file.
const { stacks } = buildServiceApp();
const staging = Template.fromStack(stacks.environments.get('staging')!.service);
const production = Template.fromStack(stacks.environments.get('production')!.service);
// Each environment's edge stack in us-east-1, which holds the web ACL and the load-test token.
const edgeOf = (environment: string) => Template.fromStack(stacks.environments.get(environment)!.units[0]!.edge);

function logicalId(template: Template, type: string, idPrefix: string): string {
  const match = resourcesOfType(template, type).find(([id]) => id.startsWith(idPrefix));
  if (!match) throw new Error(`no ${type} whose logical id starts with ${idPrefix}`);
  return match[0];
}
const ref = (template: Template, type: string, idPrefix: string) => ({ Ref: logicalId(template, type, idPrefix) });

const container = () =>
  (onlyResource(staging, 'AWS::ECS::TaskDefinition').Properties!.ContainerDefinitions as Record<string, unknown>[])[0]!;

function parameterValue(template: Template, name: string): string {
  const parameter = resourcesOfType(template, 'AWS::SSM::Parameter').find(
    ([, r]) => r.Properties!.Name === `/${IDENTITY.slug}/staging/${name}`,
  );
  if (!parameter) throw new Error(`no SSM parameter ${name}`);
  return parameter[1].Properties!.Value as string;
}

suite('task definition', () => {
  test("0.25 vCPU and 512 MiB on Fargate, ARM64 (Graviton): the image contract's architecture", () => {
    assert.equal(IMAGE_CONTRACT.architecture, 'arm64');
    staging.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test("the container's hard memory limit is the task's memory", () => {
    assert.equal(container().Memory, 512);
  });

  test('the container runs the image tag it is given, from the registry stack', () => {
    const image = JSON.stringify(container().Image);
    assert.match(image, /:1\.2\.3"\]\]\}$/);
    assert.match(image, new RegExp(String.raw`"Fn::ImportValue":"${IDENTITY.id}-Registry:`));
  });

  test('the health check runs the node script, not curl', () => {
    assert.deepEqual(container().HealthCheck, {
      Command: ['CMD', 'node', '/app/dist/healthcheck.js'],
      Interval: 10,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 10,
    });
  });

  test('an init process, a read-only root filesystem, a non-root user, no capabilities', () => {
    const definition = container();
    assert.deepEqual(definition.LinuxParameters, { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true });
    assert.equal(definition.ReadonlyRootFilesystem, true);
    assert.equal(definition.User, 'node');
    assert.equal(definition.Privileged, undefined);
    assert.deepEqual(definition.PortMappings, [{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
  });

  test('stopTimeout is longer than the shutdown grace the app is given', () => {
    const stopTimeoutMs = (container().StopTimeout as number) * 1000;
    assert.equal(stopTimeoutMs, 30_000);
    assert.ok(stopTimeoutMs > Number(parameterValue(staging, 'SHUTDOWN_TIMEOUT_MS')));
  });

  test('logs go to a CloudWatch log group with retention, without blocking the app', () => {
    assert.deepEqual(container().LogConfiguration, {
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': ref(staging, 'AWS::Logs::LogGroup', 'AppLogs'),
        'awslogs-stream-prefix': 'app',
        'awslogs-region': 'eu-west-1',
        mode: 'non-blocking',
        'max-buffer-size': '26214400b',
      },
    });
    // Production keeps a year (Control Tower CT.CLOUDWATCH.PR.2); staging's test traffic two weeks.
    staging.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    production.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    // Encrypted with a key of the stack's own, which CloudWatch Logs may use for this account's log groups only.
    for (const template of [staging, production]) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsKey'), 'Arn'] },
      });
    }
  });

  test('runtime configuration comes from SSM Parameter Store, none from plain environment variables', () => {
    const definition = container();
    assert.equal(definition.Environment, undefined);
    const secrets = definition.Secrets as { Name: string; ValueFrom: unknown }[];
    assert.deepEqual(
      secrets.map((s) => s.Name),
      ['LOG_LEVEL', 'LOG_REQUESTS', 'KEEP_ALIVE_TIMEOUT_MS', 'SHUTDOWN_TIMEOUT_MS'],
    );
    for (const secret of secrets) {
      assert.match(JSON.stringify(secret.ValueFrom), /^\{"Fn::Join":\["",\["arn:aws:ssm:eu-west-1:",.*":parameter",/);
    }
    assert.deepEqual(
      resourcesOfType(staging, 'AWS::SSM::Parameter').map(([, r]) => [r.Properties!.Name, r.Properties!.Value]),
      [
        [`/${IDENTITY.slug}/staging/LOG_LEVEL`, 'info'],
        [`/${IDENTITY.slug}/staging/LOG_REQUESTS`, 'false'],
        [`/${IDENTITY.slug}/staging/KEEP_ALIVE_TIMEOUT_MS`, '65000'],
        [`/${IDENTITY.slug}/staging/SHUTDOWN_TIMEOUT_MS`, '10000'],
      ],
    );
  });

  test("the app's keep-alive outlasts the load balancer's 60 s idle timeout", () => {
    staging.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }]),
    });
    assert.ok(Number(parameterValue(staging, 'KEEP_ALIVE_TIMEOUT_MS')) > 60_000);
  });

  test('the execution role reads exactly the four parameters and pulls only from our repository', () => {
    const [, executionPolicy] = resourcesOfType(staging, 'AWS::IAM::Policy').find(([id]) =>
      id.startsWith('AppTaskDefinitionExecutionRoleDefaultPolicy'),
    )!;
    const policy = executionPolicy.Properties!.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    const ssm = policy.Statement.find((s) => [s.Action].flat().includes('ssm:GetParameters'))!;
    assert.equal((ssm.Resource as unknown[]).length, 4);
    const pull = policy.Statement.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'))!;
    assert.match(JSON.stringify(pull.Resource), new RegExp(String.raw`"Fn::ImportValue":"${IDENTITY.id}-Registry:`));
  });
});

suite('service', () => {
  test('tasks run in the private subnets with no public IP', () => {
    const network = onlyResource(staging, 'AWS::ECS::Service').Properties!.NetworkConfiguration as {
      AwsvpcConfiguration: { AssignPublicIp: string; Subnets: unknown[] };
    };
    assert.equal(network.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    const subnets = network.AwsvpcConfiguration.Subnets.map((s) => JSON.stringify(s));
    assert.equal(subnets.length, 2);
    for (const subnet of subnets)
      assert.match(
        subnet,
        new RegExp(String.raw`"Fn::ImportValue":"${IDENTITY.id}-Staging-Network:ExportsOutputRefVpcPrivateSubnet\d`),
      );
  });

  test('deploys as an ECS canary: 10 % first, a bake time, then all of it', () => {
    staging.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'CANARY',
        CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 10 },
        BakeTimeInMinutes: 10,
      }),
    });
    production.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: 'CANARY',
        CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 10 },
        BakeTimeInMinutes: 10,
      }),
    });
  });

  test('rolls back on the 5xx-rate, unhealthy-target and synthetic check alarms, and on the circuit breaker', () => {
    staging.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          Enable: true,
          Rollback: true,
          AlarmNames: [
            ref(staging, 'AWS::CloudWatch::Alarm', 'AlarmsServerErrorRate'),
            ref(staging, 'AWS::CloudWatch::Alarm', 'AlarmsUnhealthyTargets'),
            ref(staging, 'AWS::CloudWatch::Alarm', 'SyntheticCheckFailed'),
          ],
        },
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
    });
  });

  test('the canary shifts the weights of the production rule between the two target groups', () => {
    staging.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [
        {
          ContainerName: 'app',
          ContainerPort: 8080,
          TargetGroupArn: ref(staging, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'LoadBalancerBlue'),
          AdvancedConfiguration: {
            AlternateTargetGroupArn: ref(staging, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'LoadBalancerGreen'),
            ProductionListenerRule: ref(staging, 'AWS::ElasticLoadBalancingV2::ListenerRule', 'LoadBalancerProduction'),
            RoleArn: { 'Fn::GetAtt': [logicalId(staging, 'AWS::IAM::Role', 'AppCanaryRole'), 'Arn'] },
          },
        },
      ],
    });
    staging.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              {
                TargetGroupArn: ref(staging, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'LoadBalancerBlue'),
                Weight: 100,
              },
              {
                TargetGroupArn: ref(staging, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'LoadBalancerGreen'),
                Weight: 0,
              },
            ],
          },
        },
      ],
    });
  });

  test('leaves the desired count to autoscaling, so that a deploy does not reset it', () => {
    assert.equal(onlyResource(staging, 'AWS::ECS::Service').Properties!.DesiredCount, undefined);
  });

  test('the cluster has Container Insights', () => {
    staging.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

suite('network access', () => {
  test('only the load balancer security group reaches the task port', () => {
    const serviceGroup = logicalId(staging, 'AWS::EC2::SecurityGroup', 'AppServiceSecurityGroup');
    const loadBalancerGroup = logicalId(staging, 'AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const groups = resourcesOfType(staging, 'AWS::EC2::SecurityGroup');
    assert.equal(groups.find(([id]) => id === serviceGroup)![1].Properties!.SecurityGroupIngress, undefined);
    const ingress = resourcesOfType(staging, 'AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties!)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify({ 'Fn::GetAtt': [serviceGroup, 'GroupId'] }));
    assert.deepEqual(ingress, [
      {
        Description: 'Load balancer to target',
        GroupId: { 'Fn::GetAtt': [serviceGroup, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [loadBalancerGroup, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      },
    ]);
  });

  test("the load balancer's group reaches the tasks' port and nothing else: EC2's default allow-all is kept away", () => {
    const serviceGroup = logicalId(staging, 'AWS::EC2::SecurityGroup', 'AppServiceSecurityGroup');
    const loadBalancerGroup = logicalId(staging, 'AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const group = resourcesOfType(staging, 'AWS::EC2::SecurityGroup').find(([id]) => id === loadBalancerGroup)![1];
    // A group with no inline egress gets EC2's default rule (all traffic to 0.0.0.0/0); this one matches no packet.
    assert.deepEqual(group.Properties!.SecurityGroupEgress, [
      {
        CidrIp: '255.255.255.255/32',
        Description: 'Disallow all traffic',
        IpProtocol: 'icmp',
        FromPort: 252,
        ToPort: 86,
      },
    ]);
    const egress = resourcesOfType(staging, 'AWS::EC2::SecurityGroupEgress')
      .map(([, r]) => r.Properties!)
      .filter(
        (rule) => JSON.stringify(rule.GroupId) === JSON.stringify({ 'Fn::GetAtt': [loadBalancerGroup, 'GroupId'] }),
      );
    assert.deepEqual(egress, [
      {
        Description: 'Load balancer to target',
        GroupId: { 'Fn::GetAtt': [loadBalancerGroup, 'GroupId'] },
        DestinationSecurityGroupId: { 'Fn::GetAtt': [serviceGroup, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
      },
    ]);
  });

  test('the load balancer is internal, in the private subnets, and admits only CloudFront on its listener port', () => {
    const loadBalancer = onlyResource(staging, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties!;
    assert.equal(loadBalancer.Scheme, 'internal');
    for (const subnet of loadBalancer.Subnets as unknown[]) {
      assert.match(
        JSON.stringify(subnet),
        new RegExp(String.raw`"Fn::ImportValue":"${IDENTITY.id}-Staging-Network:ExportsOutputRefVpcPrivateSubnet\d`),
      );
    }
    const loadBalancerGroup = logicalId(staging, 'AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const group = resourcesOfType(staging, 'AWS::EC2::SecurityGroup').find(([id]) => id === loadBalancerGroup)![1];
    assert.equal(group.Properties!.SecurityGroupIngress, undefined);
    const ingress = resourcesOfType(staging, 'AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties!)
      .filter(
        (rule) => JSON.stringify(rule.GroupId) === JSON.stringify({ 'Fn::GetAtt': [loadBalancerGroup, 'GroupId'] }),
      );
    // CloudFront's origin-facing prefix list in eu-west-1: the VPC origin's traffic, and nothing from the internet.
    assert.deepEqual(ingress, [
      {
        Description: 'CloudFront origin-facing servers, the VPC origin',
        GroupId: { 'Fn::GetAtt': [loadBalancerGroup, 'GroupId'] },
        SourcePrefixListId: 'pl-4fa04526',
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
      },
    ]);
  });
});

suite('load balancer', () => {
  test('drops invalid headers, and production has deletion protection', () => {
    staging.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
    production.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
  });

  test('access logs go to an encrypted, private, TLS-only bucket that outlives the stack', () => {
    const bucket = logicalId(staging, 'AWS::S3::Bucket', 'LoadBalancerAccessLogs');
    staging.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { Ref: bucket } },
      ]),
    });
    staging.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
      }),
    });
    staging.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('both target groups check /health fast and drain in 30 s', () => {
    const groups = resourcesOfType(staging, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    assert.equal(groups.length, 2);
    for (const [, group] of groups) {
      assert.deepEqual(
        { ...group.Properties, VpcId: undefined, Tags: undefined },
        {
          Port: 8080,
          Protocol: 'HTTP',
          TargetType: 'ip',
          HealthCheckPath: '/health',
          HealthCheckIntervalSeconds: 10,
          HealthCheckTimeoutSeconds: 5,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 3,
          Matcher: { HttpCode: '200' },
          TargetGroupAttributes: [
            { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
            { Key: 'stickiness.enabled', Value: 'false' },
          ],
          VpcId: undefined,
          Tags: undefined,
        },
      );
    }
  });

  test('one HTTP listener on 80, for CloudFront; its default action, which no request reaches, redirects to HTTPS', () => {
    const listeners = resourcesOfType(staging, 'AWS::ElasticLoadBalancingV2::Listener').map(([, r]) => r.Properties!);
    assert.deepEqual(
      listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions]),
      [
        [
          80,
          'HTTP',
          [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
        ],
      ],
    );
    // The production rule matches every path: the default action answers nothing.
    staging.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    });
  });
});

suite('autoscaling', () => {
  test('from 2 tasks to a configurable maximum', () => {
    staging.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 4,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
    });
    production.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
    });
  });

  test('on CPU', () => {
    staging.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    });
  });

  test('on requests per target, summed over both target groups so that it survives their swap', () => {
    const requests = (group: string) => ({
      Id: group,
      ReturnData: false,
      MetricStat: {
        Stat: 'Sum',
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCountPerTarget',
          Dimensions: [
            {
              Name: 'TargetGroup',
              Value: {
                'Fn::GetAtt': [
                  logicalId(
                    staging,
                    'AWS::ElasticLoadBalancingV2::TargetGroup',
                    `LoadBalancer${group === 'blue' ? 'Blue' : 'Green'}`,
                  ),
                  'TargetGroupFullName',
                ],
              },
            },
          ],
        },
      },
    });
    staging.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 6000,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
        CustomizedMetricSpecification: {
          Metrics: [
            requests('blue'),
            requests('green'),
            {
              Id: 'requestsPerTask',
              Expression: 'FILL(blue, 0) + FILL(green, 0)',
              Label: Match.anyValue(),
              ReturnData: true,
            },
          ],
        },
      },
    });
  });

  test('the request policy targets the scalable target that ECS autoscaling registers', () => {
    const [, policy] = resourcesOfType(staging, 'AWS::ApplicationAutoScaling::ScalingPolicy').find(([id]) =>
      id.startsWith('AppRequestsPerTask'),
    )!;
    const target = logicalId(staging, 'AWS::ApplicationAutoScaling::ScalableTarget', 'AppServiceTaskCountTarget');
    assert.deepEqual(
      policy.Properties!.ResourceId,
      onlyResource(staging, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties!.ResourceId,
    );
    assert.ok((policy.DependsOn as string[]).includes(target));
  });
});

suite('alarms', () => {
  const topic = () => ref(staging, 'AWS::SNS::Topic', 'AlarmsTopic');

  test('four alarms, each notifying the SNS topic when it fires and when it clears (the WAF one is in us-east-1)', () => {
    const alarms = resourcesOfType(staging, 'AWS::CloudWatch::Alarm');
    assert.deepEqual(
      alarms.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')),
      ['AlarmsServerErrorRate', 'AlarmsUnhealthyTargets', 'AlarmsP99Latency', 'SyntheticCheckFailed'],
    );
    for (const [, alarm] of alarms) {
      assert.deepEqual(alarm.Properties!.AlarmActions, [topic()]);
      assert.deepEqual(alarm.Properties!.OKActions, [topic()]);
      assert.equal(alarm.Properties!.TreatMissingData, 'notBreaching');
    }
  });

  test('5xx rate: the worst of each target group and of the load balancer while a target is healthy, above 5 %', () => {
    const alarm = resourcesOfType(staging, 'AWS::CloudWatch::Alarm').find(([id]) =>
      id.startsWith('AlarmsServerErrorRate'),
    )![1];
    const metrics = alarm.Properties!.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    assert.equal(metrics[0]!.Expression, 'MAX([blueRate, greenRate, loadBalancerRate])');
    assert.deepEqual(
      Object.fromEntries(metrics.slice(1).map((m) => [m.Id, m.Expression ?? m.MetricStat!.Metric.MetricName])),
      {
        blueRate: '100 * FILL(blueErrors, 0) / blueRequests',
        blueErrors: 'HTTPCode_Target_5XX_Count',
        blueRequests: 'RequestCount',
        greenRate: '100 * FILL(greenErrors, 0) / greenRequests',
        greenErrors: 'HTTPCode_Target_5XX_Count',
        greenRequests: 'RequestCount',
        loadBalancerRate: 'IF(FILL(blueHealthy, 0) + FILL(greenHealthy, 0) >= 1, loadBalancerAnyRate, 0)',
        blueHealthy: 'HealthyHostCount',
        greenHealthy: 'HealthyHostCount',
        loadBalancerAnyRate: '100 * FILL(loadBalancerErrors, 0) / loadBalancerRequests',
        loadBalancerErrors: 'HTTPCode_ELB_5XX_Count',
        loadBalancerRequests: 'RequestCount',
      },
    );
    assert.deepEqual(
      [
        alarm.Properties!.Threshold,
        alarm.Properties!.ComparisonOperator,
        alarm.Properties!.EvaluationPeriods,
        alarm.Properties!.DatapointsToAlarm,
      ],
      [5, 'GreaterThanThreshold', 3, 2],
    );
  });

  test('unhealthy targets: any in either target group', () => {
    staging.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([FILL(blue, 0), FILL(green, 0)])' }),
        Match.objectLike({
          Id: 'blue',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'UnHealthyHostCount' }),
            Stat: 'Maximum',
          }),
        }),
        Match.objectLike({
          Id: 'green',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'UnHealthyHostCount' }),
            Stat: 'Maximum',
          }),
        }),
      ]),
    });
  });

  test('p99 target response time above 1 s', () => {
    staging.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TargetResponseTime',
      Namespace: 'AWS/ApplicationELB',
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('the topic is encrypted with a rotated key that CloudWatch may use, and refuses plain HTTP', () => {
    const key = logicalId(staging, 'AWS::KMS::Key', 'AlarmsTopicKey');
    staging.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    staging.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]),
      },
    });
    staging.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      },
    });
  });
});

suite('outputs', () => {
  test('the service URL (https on the distribution), the distribution, the cluster name and the service name', () => {
    const outputs = staging.toJSON().Outputs as Record<string, { Value: unknown }>;
    const distribution = logicalId(staging, 'AWS::CloudFront::Distribution', 'EdgeDistribution');
    assert.deepEqual(outputs.ServiceUrl!.Value, {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]],
    });
    assert.deepEqual(outputs.DistributionId!.Value, { Ref: distribution });
    assert.deepEqual(outputs.ClusterName!.Value, ref(staging, 'AWS::ECS::Cluster', 'AppCluster'));
    assert.deepEqual(outputs.ServiceName!.Value, {
      'Fn::GetAtt': [logicalId(staging, 'AWS::ECS::Service', 'AppService'), 'Name'],
    });
  });
});

// The promotion checks in the environment that is promoted from (staging): the FIS experiment template, its role,
// the role the pipeline assumes, and the web ACL's exemption of the load test from the per-IP rate rule only.
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
/** The actions each role's policies allow, sorted, by the role's logical id prefix. */
function allowedActions(template: Template, rolePrefix: string): string[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties!.Roles).includes(`"${rolePrefix}`))
    .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement)
    .flatMap((statement) => [statement.Action].flat())
    .sort();
}

const rateRule = (template: Template) =>
  (onlyResource(template, 'AWS::WAFv2::WebACL').Properties!.Rules as { Name: string; Statement: any }[]).find(
    (rule) => rule.Name === 'RatePerIp',
  )!;

suite('the resilience experiment', () => {
  test('stops the share of the service tasks the environment asks for, and nothing else', () => {
    const template = onlyResource(staging, 'AWS::FIS::ExperimentTemplate').Properties!;
    assert.deepEqual(template.Actions, {
      StopTasks: { ActionId: 'aws:ecs:stop-task', Targets: { Tasks: 'ServiceTasks' } },
    });
    const target = (template.Targets as Record<string, any>).ServiceTasks;
    assert.equal(target.ResourceType, 'aws:ecs:task');
    assert.equal(target.SelectionMode, `PERCENT(${STAGING.promotionChecks!.resilience.stopTaskPercent})`);
    assert.deepEqual(Object.keys(target.Parameters), ['cluster', 'service']);
  });

  test('the rollback alarms are its stop conditions: all three, and only alarms', () => {
    const conditions = onlyResource(staging, 'AWS::FIS::ExperimentTemplate').Properties!.StopConditions as {
      Source: string;
      Value: { 'Fn::GetAtt': [string, string] };
    }[];
    assert.equal(conditions.length, 3);
    assert.ok(conditions.every((c) => c.Source === 'aws:cloudwatch:alarm' && c.Value['Fn::GetAtt'][1] === 'Arn'));
    const alarms = conditions.map((c) => c.Value['Fn::GetAtt'][0]).sort();
    assert.deepEqual(
      alarms.map((id) => id.replace(/[0-9A-F]{8}$/, '')),
      ['AlarmsServerErrorRate', 'AlarmsUnhealthyTargets', 'SyntheticCheckFailed'],
    );
  });

  test('its role is assumed by FIS for this account only, and may list, describe and stop the cluster tasks alone', () => {
    staging.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'fis.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() } },
          }),
        ],
      },
    });
    assert.deepEqual(allowedActions(staging, 'ResilienceExperimentRole'), [
      'ecs:DescribeTasks',
      'ecs:ListTasks',
      'ecs:StopTask',
    ]);
  });
});

suite('the role the pipeline assumes', () => {
  test('trusts the tools account, and may start and read the experiment, read the service and the token', () => {
    staging.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRole',
            // The tools account's root: CDK's own account here; test/infra/deployment.test.ts checks a named one.
            Principal: { AWS: Match.anyValue() },
          }),
        ],
      },
    });
    assert.deepEqual(allowedActions(staging, 'PromotionChecksRole'), [
      'ecs:DescribeServices',
      'ecs:ListTasks',
      'fis:GetExperiment',
      'fis:StartExperiment',
      'secretsmanager:GetSecretValue',
    ]);
    // The token it reads is the edge stack's, in us-east-1, named by the ARN that stack outputs.
    const token = resourcesOfType(staging, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties!.Roles).includes('"PromotionChecksRole'))
      .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement)
      .find((statement) => statement.Action === 'secretsmanager:GetSecretValue')!;
    assert.match(JSON.stringify(token.Resource), /Fn::GetStackOutput/);
    assert.match(JSON.stringify(token.Resource), /-Staging-Edge/);
  });

  test('the deploy action can hand the role, the template and the token on: three outputs', () => {
    for (const output of ['PromotionCheckRoleArn', 'ResilienceExperimentTemplateId', 'LoadTestTokenArn']) {
      staging.hasOutput(output, {});
    }
  });
});

suite('the web ACL exempts the load test from the per-IP rate rule, and from nothing else', () => {
  const stagingEdge = edgeOf('staging');
  test(`the rate rule counts only requests without the ${LOAD_TEST_HEADER} header's secret value`, () => {
    const match =
      rateRule(stagingEdge).Statement.RateBasedStatement.ScopeDownStatement.NotStatement.Statement.ByteMatchStatement;
    assert.deepEqual(match.FieldToMatch, { SingleHeader: { Name: LOAD_TEST_HEADER } });
    assert.equal(match.PositionalConstraint, 'EXACTLY');
    // A dynamic reference to the secret beside it, resolved by CloudFormation at deploy: never in the template.
    assert.match(JSON.stringify(match.SearchString), /\{\{resolve:secretsmanager:/);
    assert.match(JSON.stringify(match.SearchString), /LoadTestToken/);
    stagingEdge.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  test('the allow list and the managed rule groups have no exemption', () => {
    const rules = onlyResource(stagingEdge, 'AWS::WAFv2::WebACL').Properties!.Rules as { Name: string }[];
    for (const rule of rules.filter((r) => r.Name !== 'RatePerIp')) {
      assert.doesNotMatch(JSON.stringify(rule), /ScopeDown|resolve:secretsmanager/, rule.Name);
    }
  });

  test('production has no promotion checks: no experiment, no token, no role, a rate rule without exemption', () => {
    const productionEdge = edgeOf('production');
    production.resourceCountIs('AWS::FIS::ExperimentTemplate', 0);
    productionEdge.resourceCountIs('AWS::SecretsManager::Secret', 0);
    production.resourceCountIs('AWS::SecretsManager::Secret', 0);
    assert.equal(rateRule(productionEdge).Statement.RateBasedStatement.ScopeDownStatement, undefined);
  });
});
