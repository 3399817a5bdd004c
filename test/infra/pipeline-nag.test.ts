import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import { CfnResource, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildPipeline } from './pipeline-fixture.ts';

interface Acknowledgement {
  /** Construct path below the stack. */
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

const { app, stack } = buildPipeline();
const relative = (construct: IConstruct) => construct.node.path.slice(stack.node.path.length + 1);
const logicalId = (path: string) => stack.getLogicalId(stack.node.findChild(path).node.defaultChild as CfnResource);

/** Every cdk-nag acknowledgement recorded in the pipeline stack, where it was made. */
function acknowledgements(): Acknowledgement[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([key, reason]) => ({ path: relative(construct), id: key.replace(/^Annotation::/, ''), reason }))
      .filter(({ id }) => id.startsWith('AwsSolutions-')),
  );
}

/** Whether `id` is acknowledged on the construct or one of its ancestors, as cdk-nag checks it. */
function isAcknowledged(construct: IConstruct, id: string): boolean {
  return construct.node.scopes.some((scope) =>
    scope.node.metadata.some(
      (entry) =>
        entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
        Object.keys(entry.data as object).includes(`Annotation::${id}`),
    ),
  );
}

suite('cdk-nag AwsSolutions on the pipeline stack', () => {
  const findings = (scope: IConstruct) =>
    new AwsSolutionsChecks()
      .validateScope(scope)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

  test('no finding is left unacknowledged', () => {
    assert.deepEqual(findings(app), []);
  });

  test('none either when the stack is environment-agnostic, where ARNs hold pseudo parameters', () => {
    assert.deepEqual(findings(buildPipeline({}, null).app), []);
  });

  test('synthesis with the AwsSolutions plugin succeeds, as `cdk synth` runs it', () => {
    const { app: pluggedApp } = buildPipeline();
    Validations.of(pluggedApp).addPlugins(new AwsSolutionsChecks(pluggedApp));
    assert.doesNotThrow(() => pluggedApp.synth());
  });

  test('the acknowledgements are exactly these, each with a reason', () => {
    const artifactObjects = `AwsSolutions-IAM5[Resource::<${logicalId('Artifacts')}.Arn>/*]`;
    const read = [
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      artifactObjects,
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    ];
    const write = ['AwsSolutions-IAM5[Action::s3:DeleteObject*]', 'AwsSolutions-IAM5[Action::s3:Abort*]'];
    const defaultLogGroup = (project: string) =>
      `AwsSolutions-IAM5[Resource::arn:aws:logs:eu-west-1:<AWS::AccountId>:log-group:/aws/codebuild/<${logicalId(project)}>:*]`;
    const nodeImageProject = (project: string) => [defaultLogGroup(project), ...read, 'AwsSolutions-CB5'];

    const expected: Record<string, string[]> = {
      Pipeline: [...read, ...write],
      SelfUpdate: nodeImageProject('SelfUpdate'),
      DeployRegistry: nodeImageProject('DeployRegistry'),
      UnitTest: nodeImageProject('UnitTest'),
      StaticAnalysis: nodeImageProject('StaticAnalysis'),
      BuildImage: [defaultLogGroup('BuildImage'), ...read, ...write, 'AwsSolutions-IAM5[Resource::*]'],
      // The registry login and Signer's revocation check have no resource-level permissions.
      VerifySignature: [defaultLogGroup('VerifySignature'), ...read, 'AwsSolutions-IAM5[Resource::*]'],
      Smoke: nodeImageProject('Smoke'),
      // The CodeBuild image (for the AWS CLI): no CB5 finding, which is about images from outside ECR and CodeBuild.
      TagDeployed: [defaultLogGroup('TagDeployed'), ...read],
      DeployStaging: nodeImageProject('DeployStaging'),
      DeployProduction: nodeImageProject('DeployProduction'),
      // Verify-Staging's: Acceptance on the Node image; the load test and the experiment on the CodeBuild image.
      Acceptance: nodeImageProject('Acceptance'),
      LoadTestStaging: [defaultLogGroup('LoadTestStaging'), ...read],
      Resilience: [defaultLogGroup('Resilience'), ...read],
    };
    const actual: Record<string, string[]> = {};
    for (const { path, id, reason } of acknowledgements()) {
      (actual[path] ??= []).push(id);
      assert.ok(reason.length >= 40, `${path} ${id}: "${reason}" is not a reason`);
    }
    const sorted = (record: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(record).map(([path, ids]) => [path, [...ids].sort()]));
    assert.deepEqual(sorted(actual), sorted(expected));
  });

  test('every acknowledgement silences a finding that really occurs: none is stale', () => {
    // The same checks, blind to acknowledgements: every finding as it would be without them.
    // (isAcknowledged is cdk-nag's internal hook; if it is renamed, raw is empty and this test fails.)
    const blind = new AwsSolutionsChecks();
    Object.defineProperty(blind, 'isAcknowledged', { value: () => false });
    const raw = blind
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath })));
    for (const { path, id } of acknowledgements()) {
      const scope = `${stack.node.path}/${path}`;
      assert.ok(
        raw.some(
          (finding) =>
            finding.id === id && (finding.path === scope || (finding.path?.startsWith(`${scope}/`) ?? false)),
        ),
        `${path}: ${id} is acknowledged, but nothing there has that finding`,
      );
    }
  });
});

suite('IAM wildcards in the pipeline stack', () => {
  const policies = stack.node
    .findAll()
    .filter((construct): construct is iam.CfnPolicy => construct instanceof iam.CfnPolicy);
  const statementsOf = (policy: iam.CfnPolicy) =>
    (stack.resolve(policy.policyDocument) as { Statement: { Action: string | string[] }[] }).Statement;

  test('no statement allows every action, or every action of a service', () => {
    assert.ok(policies.length > 10);
    for (const policy of policies) {
      for (const statement of statementsOf(policy)) {
        for (const action of [statement.Action].flat()) {
          assert.notEqual(action, '*', relative(policy));
          assert.doesNotMatch(action, /:\*$/, `${relative(policy)}: ${action}`);
        }
      }
    }
  });

  test('each wildcard action is one of CDK grant wildcards, acknowledged where it is granted', () => {
    const wildcards = new Set<string>();
    for (const policy of policies) {
      for (const statement of statementsOf(policy)) {
        for (const action of [statement.Action].flat().filter((a) => a.includes('*'))) {
          wildcards.add(action);
          assert.ok(
            isAcknowledged(policy, `AwsSolutions-IAM5[Action::${action}]`),
            `${relative(policy)}: ${action} is not acknowledged`,
          );
        }
      }
    }
    assert.deepEqual([...wildcards].sort(), [
      'kms:GenerateDataKey*',
      'kms:ReEncrypt*',
      's3:Abort*',
      's3:DeleteObject*',
      's3:GetBucket*',
      's3:GetObject*',
      's3:List*',
    ]);
  });
});
