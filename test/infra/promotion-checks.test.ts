/**
 * The promotion checks in the environment that is promoted from (staging): the FIS experiment template, its role,
 * the role the pipeline assumes, and the web ACL's exemption of the load test from the per-IP rate rule only.
 * Production has none of them.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LOAD_TEST_HEADER } from '../../infra/lib/load-test.ts';
import { STAGING } from '../../infra/lib/environments.ts';
import { buildServiceApp, onlyResource, resourcesOfType } from './helpers.ts';

const { stacks } = buildServiceApp({ toolsAccount: '333333333333' });
const staging = Template.fromStack(stacks.environments.get('staging')!.service);
const production = Template.fromStack(stacks.environments.get('production')!.service);

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
            Principal: { AWS: 'arn:aws:iam::333333333333:root' },
          }),
        ],
      },
    });
    assert.deepEqual(allowedActions(staging, 'PromotionChecksRole'), [
      'ecs:DescribeServices',
      'ecs:ListTasks',
      'fis:GetExperiment',
      'fis:StartExperiment',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  test('the deploy action can hand the role, the template and the token on: three outputs', () => {
    for (const output of ['PromotionCheckRoleArn', 'ResilienceExperimentTemplateId', 'LoadTestTokenArn']) {
      staging.hasOutput(output, {});
    }
  });
});

suite('the web ACL exempts the load test from the per-IP rate rule, and from nothing else', () => {
  test(`the rate rule counts only requests without the ${LOAD_TEST_HEADER} header's secret value`, () => {
    const match =
      rateRule(staging).Statement.RateBasedStatement.ScopeDownStatement.NotStatement.Statement.ByteMatchStatement;
    assert.deepEqual(match.FieldToMatch, { SingleHeader: { Name: LOAD_TEST_HEADER } });
    assert.equal(match.PositionalConstraint, 'EXACTLY');
    // A dynamic reference, resolved by CloudFormation at deploy: the value is never in the template.
    assert.match(JSON.stringify(match.SearchString), /\{\{resolve:secretsmanager:/);
    assert.match(JSON.stringify(match.SearchString), /PromotionChecksLoadTestToken/);
  });

  test('the allow list and the managed rule groups have no exemption', () => {
    const rules = onlyResource(staging, 'AWS::WAFv2::WebACL').Properties!.Rules as { Name: string }[];
    for (const rule of rules.filter((r) => r.Name !== 'RatePerIp')) {
      assert.doesNotMatch(JSON.stringify(rule), /ScopeDown|resolve:secretsmanager/, rule.Name);
    }
  });

  test('production has no promotion checks: no experiment, no token, no role, a rate rule without exemption', () => {
    production.resourceCountIs('AWS::FIS::ExperimentTemplate', 0);
    production.resourceCountIs('AWS::SecretsManager::Secret', 0);
    assert.equal(rateRule(production).Statement.RateBasedStatement.ScopeDownStatement, undefined);
  });
});
