/**
 * AWS's CloudFormation validator (aws-cdk-lib's CloudFormationValidatePlugin) with the AWS Control Tower
 * proactive controls as Guard rules, over every stack, the pipeline included.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource, type App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { controlId, controlTowerRules } from '../../infra/lib/checks.ts';
import { PipelineStack } from '../../infra/lib/pipeline-stack.ts';
import { acknowledgements, buildServiceApp, VARIANTS } from './helpers.ts';
import { CONNECTION_ARN } from './pipeline-fixture.ts';
import { IDENTITY } from '../../src/identity.ts';

/** The app as `cdk deploy` builds it with -c connectionArn=... -c githubOwner=...: both environments and the pipeline. */
function buildWithPipeline(logRetention?: logs.RetentionDays) {
  const built = buildServiceApp();
  new PipelineStack(built.app, `${IDENTITY.id}-Pipeline`, {
    logRetention,
    env: { region: 'eu-west-1' },
    repository: built.stacks.registry.repository,
    registryStack: built.stacks.registry,
    signing: built.stacks.registry.signing,
    environments: [...built.stacks.environments.values()],
    connectionArn: CONNECTION_ARN,
    owner: 'octo-org',
    repo: IDENTITY.githubRepo,
    cdkContext: { connectionArn: CONNECTION_ARN, githubOwner: 'octo-org' },
  });
  return built;
}

type Report = { pluginReports: { pluginName: string; violations: unknown[]; suppressedViolations: unknown[] }[] };

function synthReport(app: App): Report {
  const assembly = app.synth();
  return JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as Report;
}

const deployed = buildWithPipeline();
const variants = buildServiceApp({ environments: VARIANTS });

/** Control Tower acknowledgements as "path rule", the environment in the path replaced by *. */
function controlAcknowledgements(app: App): string[] {
  const found = acknowledgements(app)
    .filter((a) => a.id.startsWith(controlId('')) && a.id.endsWith('_check'))
    .map((a) => `${a.path.replace(/-(Staging|Production|Zone|Arn)-/, '-*-')} ${a.id.slice(controlId('').length)}`);
  return [...new Set(found)].sort();
}

const LOG_BUCKET = [
  's3_bucket_default_encryption_kms_check',
  's3_bucket_logging_enabled_check',
  's3_bucket_object_lock_enabled_check',
  's3_bucket_versioning_enabled_check',
  's3_event_notifications_enabled_check',
];

suite('AWS CloudFormation validator and Control Tower controls', () => {
  test('the Control Tower rules come from the pinned package, one Guard file per control', () => {
    const rules = controlTowerRules();
    assert.ok(rules.length > 200, `${rules.length} rules`);
    const memory = rules.find((rule) => rule.name === 'ct-ecs-pr-7');
    assert.match(memory!.content, /rule ecs_task_definition_memory_hard_limit_check/);
  });

  for (const [name, app] of [
    ['the app with its pipeline', deployed.app],
    ['the domain variants', variants.app],
  ] as const) {
    test(`${name}: synthesis passes with no finding left, from nag or from the validator`, () => {
      const report = synthReport(app);
      assert.deepEqual(
        report.pluginReports.map((r) => [r.pluginName, r.violations]),
        report.pluginReports.map((r) => [r.pluginName, []]),
      );
      const validator = report.pluginReports.find((r) => r.pluginName === 'CloudFormation Validate');
      assert.ok(validator !== undefined && validator.suppressedViolations.length > 0);
    });
  }

  test('the acknowledged controls, exactly', () => {
    assert.deepEqual(controlAcknowledgements(deployed.app), [
      // Staging only, as the container logs.
      `${IDENTITY.id}-*-Edge/WebAcl/Logs cloudwatch_log_group_retention_period_check`,
      `${IDENTITY.id}-*-Network/Custom::VpcRestrictDefaultSGCustomResourceProvider lambda_inside_vpc_check`,
      // Staging only: production keeps its logs a year.
      `${IDENTITY.id}-*-Network/FlowLogs cloudwatch_log_group_retention_period_check`,
      // The cache invalidation's handler, in the VPC through subnet ids the rule cannot read (Fn::ImportValue).
      `${IDENTITY.id}-*-Service/AWS679f53fac002430cb0da5b7982bd2287 lambda_inside_vpc_check`,
      `${IDENTITY.id}-*-Service/App/Logs cloudwatch_log_group_retention_period_check`,
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_access_logs_enabled_check`,
      // Without a domain only: the default *.cloudfront.net certificate.
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_custom_ssl_certificate_check`,
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_default_root_object_configured_check`,
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_origin_failover_enabled_check`,
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_security_policy_check`,
      `${IDENTITY.id}-*-Service/Edge/Distribution cloudfront_sni_enabled_check`,
      ...LOG_BUCKET.map((rule) => `${IDENTITY.id}-*-Service/LoadBalancer/AccessLogs ${rule}`),
      // Staging only: production has deletion protection.
      `${IDENTITY.id}-*-Service/LoadBalancer/LoadBalancer elbv2_deletion_protection_enabled_check`,
      `${IDENTITY.id}-*-Service/SyntheticCheck/Artifacts s3_bucket_object_lock_enabled_check`,
      `${IDENTITY.id}-*-Service/SyntheticCheck/Artifacts s3_event_notifications_enabled_check`,
      `${IDENTITY.id}-Pipeline/Artifacts s3_bucket_object_lock_enabled_check`,
      `${IDENTITY.id}-Pipeline/Artifacts s3_event_notifications_enabled_check`,
      ...LOG_BUCKET.map((rule) => `${IDENTITY.id}-Pipeline/ArtifactsAccessLogs ${rule}`),
      `${IDENTITY.id}-Pipeline/BuildImage codebuild_project_environment_privileged_check`,
      `${IDENTITY.id}-Pipeline/DeliveryMetrics/Function lambda_inside_vpc_check`,
    ]);
    // Production keeps a year of logs and has deletion protection; no environment acknowledges HTTP without a
    // redirect any more: the internal load balancer's listener redirects by default.
    const production = acknowledgements(deployed.app).filter((a) => a.path.startsWith(`${IDENTITY.id}-Production-`));
    assert.deepEqual(
      production.filter((a) => /retention|deletion_protection|redirection/.test(a.id)).map((a) => a.id),
      [],
    );
    assert.ok(!acknowledgements(deployed.app).some((a) => a.id === controlId('alb_http_to_https_redirection_check')));
  });

  test('a pipeline told to keep build logs less than a year acknowledges it on each log group', () => {
    const { app } = buildWithPipeline(logs.RetentionDays.THREE_MONTHS);
    const retention = acknowledgements(app).filter(
      (a) =>
        a.path.startsWith(`${IDENTITY.id}-Pipeline/`) &&
        a.id === controlId('cloudwatch_log_group_retention_period_check'),
    );
    // One per CodeBuild project (ten, Verify-Staging's three, one edge deploy project per environment), and the
    // delivery metrics function's.
    assert.equal(retention.length, 16);
    assert.match(retention[0]!.reason, /^Build logs are kept 90 days, as the logRetention prop of this stack asks/);
  });

  test('with a domain and an existing certificate, the distribution meets the certificate, SNI and TLS controls', () => {
    const arn = acknowledgements(variants.app).filter((a) => a.path.startsWith(`${IDENTITY.id}-Arn-Service`));
    assert.ok(arn.length > 0);
    for (const rule of [
      'cloudfront_custom_ssl_certificate_check',
      'cloudfront_sni_enabled_check',
      'cloudfront_security_policy_check',
    ]) {
      assert.ok(!arn.some((a) => a.id === controlId(rule)), rule);
    }
  });

  test('each acknowledgement says why, in a sentence a reviewer can check', () => {
    for (const { path, id, reason } of acknowledgements(deployed.app).filter((a) => a.id.endsWith('_check'))) {
      assert.ok(reason.length >= 80 && reason.endsWith('.'), `${path} ${id}: ${reason}`);
    }
  });

  test('every resource that takes tags carries the Project tag, in every stack', () => {
    const assembly = deployed.app.synth();
    let tagged = 0;
    for (const stack of assembly.stacks) {
      const resources = (stack.template as { Resources: Record<string, { Type: string; Properties?: object }> })
        .Resources;
      for (const [id, resource] of Object.entries(resources)) {
        const tags = (resource.Properties as { Tags?: unknown } | undefined)?.Tags;
        if (tags === undefined) continue;
        tagged += 1;
        // A list of { Key, Value } for most types, a map for a few (CodeStar Notifications).
        const project = Array.isArray(tags)
          ? (tags as { Key: string; Value: string }[]).find((t) => t.Key === 'Project')?.Value
          : (tags as Record<string, string>).Project;
        assert.equal(project, IDENTITY.slug, `${stack.stackName} ${id} (${resource.Type})`);
      }
    }
    const pipeline = assembly.getStackByName(`${IDENTITY.id}-Pipeline`).template as {
      Resources: Record<string, { Type: string; Properties?: { Tags?: unknown } }>;
    };
    for (const type of ['AWS::CodePipeline::Pipeline', 'AWS::CodeBuild::Project', 'AWS::S3::Bucket', 'AWS::KMS::Key']) {
      const ofType = Object.values(pipeline.Resources).filter((r) => r.Type === type);
      assert.ok(ofType.length > 0 && ofType.every((r) => r.Properties?.Tags !== undefined), type);
    }
    assert.ok(tagged > 50, `${tagged} tagged resources`);
  });

  test('a new unacknowledged Control Tower finding fails synthesis', (t) => {
    const { app, stacks } = buildServiceApp();
    new logs.LogGroup(stacks.environments.get('staging')!.service, 'Unencrypted', {
      retention: logs.RetentionDays.ONE_YEAR,
    });
    const printed = t.mock.method(console, 'error', () => undefined);
    assert.throws(() => app.synth(), /Validation failed/);
    const report = printed.mock.calls.map((call) => call.arguments.join(' ')).join('\n');
    assert.match(report, /cloudwatch_log_group_encrypted_check/);
    assert.match(report, new RegExp(String.raw`${IDENTITY.id}-Staging-Service\/Unencrypted`));
  });

  test("an error from AWS's validator fails synthesis", (t) => {
    const { app, stacks } = buildServiceApp();
    new CfnResource(stacks.registry, 'Misspelt', { type: 'AWS::SNS::Topic', properties: { TopicNmae: 'x' } });
    const printed = t.mock.method(console, 'error', () => undefined);
    assert.throws(() => app.synth(), /Validation failed/);
    assert.match(printed.mock.calls.map((call) => call.arguments.join(' ')).join('\n'), /TopicNmae/);
  });
});
