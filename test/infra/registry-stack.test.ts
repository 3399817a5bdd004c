import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { RegistryStack } from '../../infra/lib/registry-stack.ts';
import { newApp, onlyResource } from './helpers.ts';

const app = newApp();
const registry = new RegistryStack(app, 'Registry', { env: { region: 'eu-west-1' } });
const smallerRegistry = new RegistryStack(app, 'Smaller', { env: { region: 'eu-west-1' }, maxImageCount: 5 });
// The app synthesises once, at the first fromStack(), so every stack is added before it.
const template = Template.fromStack(registry);
const smaller = Template.fromStack(smallerRegistry);

test('one ECR repository: tags immutable, scanned on push, KMS-encrypted', () => {
  template.resourceCountIs('AWS::ECR::Repository', 1);
  template.hasResourceProperties('AWS::ECR::Repository', {
    ImageTagMutability: 'IMMUTABLE',
    ImageScanningConfiguration: { ScanOnPush: true },
    EncryptionConfiguration: { EncryptionType: 'KMS' },
  });
});

test('the repository and its images survive the deletion of the stack', () => {
  template.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  assert.equal(onlyResource(template, 'AWS::ECR::Repository').Properties!.EmptyOnDelete, undefined);
});

test('the lifecycle policy expires untagged layers after a day and keeps the newest N images', () => {
  const lifecyclePolicy = (t: Template) =>
    JSON.parse(
      (onlyResource(t, 'AWS::ECR::Repository').Properties!.LifecyclePolicy as { LifecyclePolicyText: string })
        .LifecyclePolicyText,
    ) as { rules: { rulePriority: number; selection: unknown; action: unknown }[] };
  const rules = (t: Template) =>
    lifecyclePolicy(t).rules.map(({ rulePriority, selection, action }) => ({ rulePriority, selection, action }));
  assert.deepEqual(rules(template), [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1, countUnit: 'days' },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    },
  ]);
  assert.equal(
    rules(smaller)[1]!.selection && (rules(smaller)[1]!.selection as { countNumber: number }).countNumber,
    5,
  );
});

test('no repository policy: only IAM principals of this account, through grants, can pull or push', () => {
  assert.equal(onlyResource(template, 'AWS::ECR::Repository').Properties!.RepositoryPolicyText, undefined);
});

test('the stack exposes the repository for the service stacks and the pipeline', () => {
  const outputs = template.toJSON().Outputs as Record<string, unknown>;
  assert.ok(outputs.RepositoryName && outputs.RepositoryUri);
});
