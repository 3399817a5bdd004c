/**
 * Between Smoke-Staging and Approve-Production: Verify-Staging runs the acceptance test, then the load test with
 * the resilience experiment beside it, each publishing JUnit to a report group of its own.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { STAGING } from '../../infra/lib/environments.ts';
import { promotionCheckRoleName, environmentStackName } from '../../infra/lib/names.ts';
import {
  actionEnvironment,
  buildPipeline,
  buildSpecOf,
  commandsOf,
  projectOf,
  resourcesOfType,
  stage,
  stages,
} from './pipeline-fixture.ts';

const { template } = buildPipeline();
const verify = stage(template, 'Verify-Staging');
const action = (name: string) => verify.Actions.find((a) => a.Name === name)!;
const checks = STAGING.promotionChecks!;

/** The report group a project's buildspec writes to, by its logical id. */
const reportGroupOf = (project: string) => Object.keys(buildSpecOf(template, project).reports ?? {});

suite('Verify-Staging: what production is promoted on', () => {
  test('comes after Smoke-Staging and before Approve-Production; production has none', () => {
    const names = stages(template).map((s) => s.Name);
    assert.deepEqual(names.slice(names.indexOf('Smoke-Staging'), names.indexOf('Deploy-Production')), [
      'Smoke-Staging',
      'Verify-Staging',
      'Approve-Production',
    ]);
    assert.ok(!names.some((name) => name.startsWith('Verify-Production')));
  });

  test('acceptance first; then the load test and the resilience experiment together, the same runOrder', () => {
    assert.deepEqual(
      verify.Actions.map((a) => [a.Name, a.RunOrder, a.ActionTypeId.Provider]),
      [
        ['Acceptance', 1, 'CodeBuild'],
        ['LoadTest', 2, 'CodeBuild'],
        ['Resilience', 2, 'CodeBuild'],
      ],
    );
  });

  test('each publishes JUnit to a report group of its own', () => {
    const groups = verify.Actions.map((a) => reportGroupOf(projectOf(a)));
    assert.deepEqual(
      groups.map((g) => g.length),
      [1, 1, 1],
    );
    assert.deepEqual(
      groups.map(([g]) => g!.replace(/[0-9A-F]{8}\.Arn>$/, '>')),
      ['<AcceptanceReports>', '<LoadTestReports>', '<ResilienceReports>'],
    );
    for (const [a, file] of [
      ['Acceptance', 'acceptance.xml'],
      ['LoadTest', 'loadtest.xml'],
      ['Resilience', 'resilience.xml'],
    ] as const) {
      const reports = buildSpecOf(template, projectOf(action(a))).reports!;
      assert.deepEqual(Object.values(reports), [
        { files: [file], 'base-directory': 'reports', 'file-format': 'JUNITXML' },
      ]);
    }
    const reportGroups = resourcesOfType(template, 'AWS::CodeBuild::ReportGroup').map(([id]) => id);
    for (const name of ['AcceptanceReports', 'LoadTestReports', 'ResilienceReports']) {
      assert.equal(reportGroups.filter((id) => id.startsWith(name)).length, 1, name);
    }
  });

  test('the acceptance test runs with Chromium against the URL Deploy-Staging exported', () => {
    const commands = commandsOf(buildSpecOf(template, projectOf(action('Acceptance'))));
    assert.ok(commands.some((c) => /apt-get install .*chromium/.test(c)));
    assert.ok(
      commands.includes('REQUIRE_BROWSER=1 npm run acceptance -- "$SERVICE_URL" --junit reports/acceptance.xml'),
    );
    assert.deepEqual(actionEnvironment(action('Acceptance')), { SERVICE_URL: '#{DeployStaging.SERVICE_URL}' });
  });

  test("the load test runs staging's bounds and thresholds, with the token read through the promotion-check role", () => {
    const commands = commandsOf(buildSpecOf(template, projectOf(action('LoadTest'))));
    const { durationSeconds, ratePerSecond, connections } = checks.loadTest;
    assert.ok(
      commands.includes(
        `npm run loadtest -- "$SERVICE_URL" --duration ${durationSeconds} --rate ${ratePerSecond} --connections ${connections} --environment staging --junit reports/loadtest.xml`,
      ),
      commands.join('\n'),
    );
    assert.ok(commands.includes('source infra/lib/pipeline/promotion-role.sh'));

    assert.deepEqual(actionEnvironment(action('LoadTest')), {
      SERVICE_URL: '#{DeployStaging.SERVICE_URL}',
      PROMOTION_ROLE_ARN: '#{DeployStaging.PROMOTION_ROLE_ARN}',
      LOAD_TEST_TOKEN_ARN: '#{DeployStaging.LOAD_TEST_TOKEN_ARN}',
    });
  });

  test("the resilience action starts staging's experiment after the settled load, and waits its recovery time", () => {
    assert.deepEqual(actionEnvironment(action('Resilience')), {
      PROMOTION_ROLE_ARN: '#{DeployStaging.PROMOTION_ROLE_ARN}',
      EXPERIMENT_TEMPLATE_ID: '#{DeployStaging.EXPERIMENT_TEMPLATE_ID}',
      CLUSTER_NAME: '#{DeployStaging.CLUSTER_NAME}',
      SERVICE_NAME: '#{DeployStaging.SERVICE_NAME}',
      START_AFTER_SECONDS: String(checks.resilience.startAfterSeconds),
      RECOVERY_SECONDS: String(checks.resilience.recoverySeconds),
    });
    assert.ok(
      commandsOf(buildSpecOf(template, projectOf(action('Resilience')))).includes(
        'JUNIT=reports/resilience.xml node infra/lib/pipeline/resilience-experiment.ts',
      ),
    );
  });

  test('the deploy action exports what the checks read, from the service stack outputs', () => {
    // VerifySignature comes first in the stage; the deploy is the action named Deploy.
    const deploy = stage(template, 'Deploy-Staging').Actions.find((candidate) => candidate.Name === 'Deploy')!;
    assert.deepEqual(buildSpecOf(template, projectOf(deploy)).env?.['exported-variables'], [
      'SERVICE_URL',
      'PROMOTION_ROLE_ARN',
      'EXPERIMENT_TEMPLATE_ID',
      'LOAD_TEST_TOKEN_ARN',
      'CLUSTER_NAME',
      'SERVICE_NAME',
    ]);
  });

  test("the load test and the resilience projects may assume staging's promotion-check role, and no other role", () => {
    const role = promotionCheckRoleName(environmentStackName('Staging', 'Service'));
    for (const name of ['LoadTest', 'Resilience']) {
      const project = projectOf(action(name));
      const serviceRole = (
        template.toJSON() as { Resources: Record<string, { Properties: { ServiceRole: { 'Fn::GetAtt': string[] } } }> }
      ).Resources[project]!.Properties.ServiceRole['Fn::GetAtt'][0];
      const assumed = resourcesOfType(template, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties!.Roles).includes(serviceRole!))
        .flatMap(
          ([, p]) => (p.Properties!.PolicyDocument as { Statement: { Action: string; Resource: unknown }[] }).Statement,
        )
        .filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
      assert.equal(assumed.length, 1, name);
      assert.match(JSON.stringify(assumed[0]!.Resource), new RegExp(`:role/${role}"`), name);
    }
  });
});
