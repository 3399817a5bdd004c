/**
 * The scoped policy for `cdk bootstrap --cloudformation-execution-policies` (infra/lib/bootstrap/execution-policy.ts):
 * it must cover every resource type of every template the app synthesises, in every configuration, and grant no
 * wildcard action.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from 'aws-cdk-lib';
import {
  executionPolicies,
  MANAGED_POLICY_MAX_LENGTH,
  RESOURCE_ACTIONS,
  uncoveredTypes,
} from '../../infra/lib/bootstrap/execution-policy.ts';
import { deploymentFromContext } from '../../infra/lib/deployment.ts';
import { addServiceStacks, type ServiceStacksProps } from '../../infra/lib/service-stacks.ts';
import { newApp, SAMPLE_CONTEXT, VARIANTS } from './helpers.ts';
import { buildPipeline } from './pipeline-fixture.ts';

/** Every resource type in every template of the app's assembly. */
function resourceTypes(app: App): string[] {
  return app
    .synth()
    .stacks.flatMap((stack) =>
      Object.values((stack.template as { Resources: Record<string, { Type: string }> }).Resources).map((r) => r.Type),
    );
}

// Without the checks: they are other tests' to run, and only the templates' types matter here.
const app = (props: Partial<ServiceStacksProps>) => {
  const built = newApp();
  addServiceStacks(built, { imageTag: '1.2.3', ...props });
  return built;
};
const TYPES = [
  ...new Set([
    ...resourceTypes(app({})),
    ...resourceTypes(app(deploymentFromContext(SAMPLE_CONTEXT))),
    ...resourceTypes(app({ environments: VARIANTS })),
    // The pipeline stack alone: the fixture's other stacks are placeholders.
    ...Object.values(
      (buildPipeline().template.toJSON() as { Resources: Record<string, { Type: string }> }).Resources,
    ).map((resource) => resource.Type),
  ]),
].sort();

suite('the CloudFormation execution policy', () => {
  const policies = executionPolicies(TYPES);
  const actions = policies.flatMap((policy) => policy.Statement.flatMap((statement) => statement.Action));

  test('covers every resource type of every synthesised template: default, sample, domain variants, pipeline', () => {
    assert.deepEqual(uncoveredTypes(TYPES), []);
    // The types the templates hold today, so that the count in the docs is checked.
    assert.ok(TYPES.length >= 50, TYPES.join('\n'));
  });

  test('a type the table lacks stops the generation, naming it', () => {
    assert.throws(
      () => executionPolicies([...TYPES, 'AWS::RDS::DBCluster']),
      /covers no action for AWS::RDS::DBCluster: add the actions/,
    );
  });

  test('grants no wildcard action, and names only actions of the form service:Action', () => {
    for (const action of actions) assert.match(action, /^[a-z0-9-]+:[A-Za-z0-9]+$/, action);
    for (const listed of Object.values(RESOURCE_ACTIONS).flat()) assert.doesNotMatch(listed, /\*/);
  });

  test('each document fits a managed policy, and no action repeats across them', () => {
    for (const policy of policies) assert.ok(JSON.stringify(policy).length <= MANAGED_POLICY_MAX_LENGTH);
    assert.equal(new Set(actions).size, actions.length);
  });

  test('only allows; nothing the app does not hold (no AdministratorAccess by another name)', () => {
    for (const policy of policies) {
      for (const statement of policy.Statement) assert.equal(statement.Effect, 'Allow');
    }
    const services = new Set(actions.map((action) => action.split(':')[0]));
    assert.ok(!services.has('organizations') && !services.has('account') && !services.has('sts'), [...services].join());
  });
});
