import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { App } from 'aws-cdk-lib';
import { acknowledgements, buildServiceApp, VARIANTS } from './helpers.ts';
import { IDENTITY } from '../../src/identity.ts';

// The app as `cdk deploy` builds it, and the three domain variants (HTTP, hosted zone, existing certificate),
// each synthesised once: synthesis itself fails on a finding that is not acknowledged.
const deployed = buildServiceApp();
const variants = buildServiceApp({ environments: VARIANTS });
const apps: [string, App][] = [
  ['the deployed app', deployed.app],
  ['the domain variants', variants.app],
];
const assemblies = apps.map(([name, app]) => [name, app.synth()] as const);

const SERVICE_ACKNOWLEDGEMENTS = (stack: string, domain = false) => [
  `${stack}/App/CanaryRole AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]`,
  `${stack}/App/TaskDefinition/ExecutionRole AwsSolutions-IAM5[Resource::*]`,
  `${stack}/LoadBalancer/AccessLogs AwsSolutions-S1`,
  ...['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole'].map(
    (policy) =>
      `${stack}/AWS679f53fac002430cb0da5b7982bd2287 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
  ),
  `${stack}/Edge/Distribution AwsSolutions-CFR1`,
  `${stack}/Edge/Distribution AwsSolutions-CFR3`,
  // Only without a domain: the default *.cloudfront.net certificate.
  ...(domain ? [] : [`${stack}/Edge/Distribution AwsSolutions-CFR4`]),
  ...[
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    'IAM5[Action::kms:GenerateDataKey*]',
    'IAM5[Action::kms:ReEncrypt*]',
    'IAM5[Resource::*]',
    'IAM5[Resource::<SyntheticCheckArtifactsC614715D.Arn>/*]',
    'IAM5[Resource::arn:aws:logs:eu-west-1:<AWS::AccountId>:log-group:/aws/lambda/cwsyn-*]',
  ].map((finding) => `${stack}/SyntheticCheck/Canary/ServiceRole AwsSolutions-${finding}`),
];

/** What an environment that is promoted from adds: its promotion checks (service/promotion-checks.ts). */
const PROMOTION_ACKNOWLEDGEMENTS = (stack: string) => [
  `${stack}/PromotionChecks/Role AwsSolutions-IAM5[Resource::*]`,
  `${stack}/PromotionChecks/Role AwsSolutions-IAM5[Resource::arn:aws:fis:eu-west-1:<AWS::AccountId>:experiment/*]`,
  `${stack}/ResilienceExperiment/Role AwsSolutions-IAM5[Resource::*]`,
  `${stack}/ResilienceExperiment/Role AwsSolutions-IAM5[Resource::arn:aws:ecs:eu-west-1:<AWS::AccountId>:task/<AppCluster68CC0559>/*]`,
];
const STAGING_ACKNOWLEDGEMENTS = (stack: string, domain = false) => [
  ...SERVICE_ACKNOWLEDGEMENTS(stack, domain),
  ...PROMOTION_ACKNOWLEDGEMENTS(stack),
  // The token lives with the web ACL, in the edge stack.
  `${stack.replace(/-Service$/, '-Edge')}/LoadTestToken AwsSolutions-SMG4`,
];

function nagAcknowledgements(app: App): string[] {
  return acknowledgements(app)
    .filter((a) => a.id.startsWith('Annotation::AwsSolutions-'))
    .map((a) => `${a.path} ${a.id.replace(/^Annotation::/, '')}`)
    .sort();
}

suite('cdk-nag AwsSolutions', () => {
  for (const [name, app] of apps) {
    test(`${name}: no finding left unacknowledged`, () => {
      assert.deepEqual(new AwsSolutionsChecks().validateScope(app).violations, []);
    });
  }

  test('the acknowledged findings, exactly: per service stack, the promotion checks where they run, none elsewhere', () => {
    assert.deepEqual(
      nagAcknowledgements(deployed.app),
      [
        ...SERVICE_ACKNOWLEDGEMENTS(`${IDENTITY.id}-Production-Service`),
        ...STAGING_ACKNOWLEDGEMENTS(`${IDENTITY.id}-Staging-Service`),
      ].sort(),
    );
    assert.deepEqual(
      nagAcknowledgements(variants.app),
      [
        ...STAGING_ACKNOWLEDGEMENTS(`${IDENTITY.id}-Arn-Service`, true),
        ...STAGING_ACKNOWLEDGEMENTS(`${IDENTITY.id}-Staging-Service`),
        ...STAGING_ACKNOWLEDGEMENTS(`${IDENTITY.id}-Zone-Service`, true),
      ].sort(),
    );
  });

  test('each acknowledgement says why, in a sentence a reviewer can check', () => {
    for (const { id, reason } of acknowledgements(deployed.app).filter((a) => a.id.includes('AwsSolutions'))) {
      assert.ok(reason.length >= 100 && reason.endsWith('.'), `${id}: ${reason}`);
    }
  });

  test("CDK's own acknowledgements of CloudFormation lint findings are the known ones", () => {
    const cdkOwn = acknowledgements(deployed.app)
      .filter((a) => !a.id.includes('AwsSolutions') && !a.id.endsWith('_check'))
      .map((a) => `${a.path.replace(/-(Staging|Production)-/, '-*-')} ${a.id}`);
    assert.deepEqual([...new Set(cdkOwn)].sort(), [
      // The zones are given literally (no lookup); CDK acknowledges the lint warning about literal AZs.
      `${IDENTITY.id}-*-Network CloudFormation-Validate::W3010`,
      `${IDENTITY.id}-*-Network/Vpc/FlowLog CloudFormation-Validate::F3002`,
      `${IDENTITY.id}-*-Network/Vpc/FlowLog CloudFormation-Validate::F3003`,
    ]);
  });

  test('the checks run at synthesis: a new unacknowledged finding fails it', (t) => {
    const { app, stacks } = buildServiceApp();
    new s3.Bucket(stacks.environments.get('staging')!.service, 'Unlogged');
    const report = t.mock.method(console, 'error', () => undefined);
    assert.throws(() => app.synth(), /Validation failed/);
    const printed = report.mock.calls.map((call) => call.arguments.join(' ')).join('\n');
    assert.match(printed, /The S3 Bucket has server access logs disabled/);
    assert.match(printed, new RegExp(String.raw`${IDENTITY.id}-Staging-Service\/Unlogged\/Resource`));
  });
});

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown };
type Document = { Statement: Statement[] };

type Found = { where: string; kind: 'identity' | 'resource'; document: Document };

/** Every policy document in every template: identity policies, role inline policies, and resource policies. */
function policyDocuments(): Found[] {
  const found: Found[] = [];
  for (const [, assembly] of assemblies) {
    for (const stack of assembly.stacks) {
      const resources = (
        stack.template as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }
      ).Resources;
      for (const [id, { Type, Properties = {} }] of Object.entries(resources)) {
        const where = `${stack.stackName}/${id}`;
        const add = (kind: Found['kind'], document: unknown) =>
          found.push({ where, kind, document: document as Document });
        if (Type === 'AWS::IAM::Policy' || Type === 'AWS::IAM::ManagedPolicy')
          add('identity', Properties.PolicyDocument);
        if (Type === 'AWS::IAM::Role') {
          for (const inline of (Properties.Policies ?? []) as { PolicyDocument: unknown }[]) {
            add('identity', inline.PolicyDocument);
          }
        }
        if (Type === 'AWS::S3::BucketPolicy' || Type === 'AWS::SNS::TopicPolicy')
          add('resource', Properties.PolicyDocument);
        if (Type === 'AWS::KMS::Key') add('resource', Properties.KeyPolicy);
      }
    }
  }
  return found;
}

function managedPolicyArns(): string[] {
  const arns = new Set<string>();
  for (const [, assembly] of assemblies) {
    for (const stack of assembly.stacks) {
      const resources = (
        stack.template as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }
      ).Resources;
      for (const { Type, Properties = {} } of Object.values(resources)) {
        if (Type !== 'AWS::IAM::Role') continue;
        for (const arn of (Properties.ManagedPolicyArns ?? []) as unknown[]) {
          arns.add(JSON.stringify(arn).replace(/.*:iam::aws:policy\/([^"]+)".*/, '$1'));
        }
      }
    }
  }
  return [...arns].sort();
}

const actions = (s: Statement) => [s.Action].flat();

suite('IAM', () => {
  test('no statement allows "*" or every action of a service, except the default key policy', () => {
    const wide = policyDocuments().flatMap(({ where, document }) =>
      document.Statement.filter(
        (s) => s.Effect === 'Allow' && actions(s).some((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a)),
      ).map((s) => ({ where, actions: actions(s), principal: JSON.stringify(s.Principal) })),
    );
    assert.ok(wide.length > 0, 'the alarm topic keys are found');
    for (const statement of wide) {
      // KMS's default key policy: the key's own account administers it through IAM. Without it the key
      // could not be managed at all; it grants nothing to anyone IAM has not granted it to.
      assert.match(
        statement.where,
        /-(Service\/(AlarmsTopicKey|AppLogsKey|SyntheticCheckArtifactsKey)|Network\/LogsKey|Edge\/(LogsKey|TopicKey))/,
      );
      assert.deepEqual(statement.actions, ['kms:*']);
      assert.match(
        statement.principal,
        /^\{"AWS":\{"Fn::Join":\["",\["arn:aws:iam::",\{"Ref":"AWS::AccountId"\},":root"\]\]\}\}$/,
      );
    }
  });

  test('an identity policy names "*" as resource only for actions that have no resource-level permissions', () => {
    const identity = policyDocuments().filter(({ kind }) => kind === 'identity');
    assert.ok(identity.length > 0);
    for (const { where, document } of identity) {
      for (const statement of document.Statement) {
        if (statement.Resource !== '*') continue;
        if (where.includes('SyntheticCheckCanaryServiceRole')) {
          // The Synthetics runtime lists buckets before it uploads, and publishes its metrics in one namespace.
          const allowed = [['s3:ListAllMyBuckets'], ['cloudwatch:PutMetricData']];
          assert.ok(
            allowed.some((a) => JSON.stringify(a) === JSON.stringify(actions(statement))),
            where,
          );
          if (actions(statement)[0] === 'cloudwatch:PutMetricData') {
            assert.deepEqual((statement as { Condition?: unknown }).Condition, {
              StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' },
            });
          }
        } else if (/(PromotionChecksRole|ResilienceExperimentRole)/.test(where)) {
          // Listing tasks has no resource-level permission; the condition keeps it to the service's cluster.
          assert.deepEqual(actions(statement), ['ecs:ListTasks'], where);
          const condition = (statement as { Condition?: { ArnEquals?: object } }).Condition;
          assert.deepEqual(Object.keys(condition?.ArnEquals ?? {}), ['ecs:cluster'], where);
        } else {
          assert.deepEqual(actions(statement), ['ecr:GetAuthorizationToken'], where);
        }
      }
    }
  });

  test('no administrator policy; the AWS managed policies in use are exactly the three known ones', () => {
    assert.deepEqual(managedPolicyArns(), [
      'AmazonECSInfrastructureRolePolicyForLoadBalancers',
      // The handler of CDK's custom resource that strips the VPC's default security group of its rules.
      'service-role/AWSLambdaBasicExecutionRole',
      // The synthetic check's Lambda function, in the private subnets.
      'service-role/AWSLambdaVPCAccessExecutionRole',
    ]);
  });

  test('every stack of the app is checked', () => {
    assert.deepEqual(assemblies[0]![1].stacks.map((s) => s.stackName).sort(), [
      `${IDENTITY.id}-Production-Edge`,
      `${IDENTITY.id}-Production-Network`,
      `${IDENTITY.id}-Production-Service`,
      `${IDENTITY.id}-Registry`,
      `${IDENTITY.id}-Staging-Edge`,
      `${IDENTITY.id}-Staging-Network`,
      `${IDENTITY.id}-Staging-Service`,
    ]);
  });
});
