import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { deployedTagPrefix } from '../../infra/lib/pipeline/tag-deployed.ts';
import { ROOT } from '../../tools/root.ts';
import { RegistryStack } from '../../infra/lib/registry-stack.ts';
import { newApp, onlyResource } from './helpers.ts';

const app = newApp();
const registry = new RegistryStack(app, 'Registry', { env: { region: 'eu-west-1' } });
const smallerRegistry = new RegistryStack(app, 'Smaller', {
  env: { region: 'eu-west-1' },
  environments: ['dev', 'qa', 'prod'],
  deployedImagesKept: 3,
  buildImageMaxAge: Duration.days(7),
});
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

test('the lifecycle policy keeps the newest deployed images of each environment, latest stage first', () => {
  const lifecyclePolicy = (t: Template) =>
    JSON.parse(
      (onlyResource(t, 'AWS::ECR::Repository').Properties!.LifecyclePolicy as { LifecyclePolicyText: string })
        .LifecyclePolicyText,
    ) as { rules: { rulePriority: number; selection: unknown; action: unknown }[] };
  const rules = (t: Template) =>
    lifecyclePolicy(t).rules.map(({ rulePriority, selection, action }) => ({ rulePriority, selection, action }));
  const expire = { type: 'expire' };
  assert.deepEqual(rules(template), [
    {
      rulePriority: 1,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['deployed-production-*'],
        countType: 'imageCountMoreThan',
        countNumber: 10,
      },
      action: expire,
    },
    {
      rulePriority: 2,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['deployed-staging-*'],
        countType: 'imageCountMoreThan',
        countNumber: 10,
      },
      action: expire,
    },
    {
      rulePriority: 3,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1, countUnit: 'days' },
      action: expire,
    },
    {
      rulePriority: 4,
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 30, countUnit: 'days' },
      action: expire,
    },
  ]);
  assert.deepEqual(
    rules(smaller).map(({ selection }) => selection),
    [
      { tagStatus: 'tagged', tagPatternList: ['deployed-prod-*'], countType: 'imageCountMoreThan', countNumber: 3 },
      { tagStatus: 'tagged', tagPatternList: ['deployed-qa-*'], countType: 'imageCountMoreThan', countNumber: 3 },
      { tagStatus: 'tagged', tagPatternList: ['deployed-dev-*'], countType: 'imageCountMoreThan', countNumber: 3 },
      { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1, countUnit: 'days' },
      { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 7, countUnit: 'days' },
    ],
  );
});

test('the deployed tags the rules keep are the ones the pipeline writes', () => {
  const script = readFileSync(join(ROOT, 'infra/lib/pipeline/tag-deployed.sh'), 'utf8');
  assert.match(script, /^tag="deployed-\$DEPLOY_ENVIRONMENT-\$\(date -u \+%Y%m%dT%H%M%SZ\)"$/m);
  assert.equal(deployedTagPrefix('staging'), 'deployed-staging-');
});

test('no repository policy: only IAM principals of this account, through grants, can pull or push', () => {
  assert.equal(onlyResource(template, 'AWS::ECR::Repository').Properties!.RepositoryPolicyText, undefined);
});

test('the stack exposes the repository for the service stacks and the pipeline', () => {
  const outputs = template.toJSON().Outputs as Record<string, unknown>;
  assert.ok(outputs.RepositoryName && outputs.RepositoryUri);
});

test('pulling from another account or region needs a fixed name, and replicas go to other regions only', () => {
  const other = newApp();
  assert.throws(
    () => new RegistryStack(other, 'NoName', { env: { region: 'eu-west-1' }, pullAccounts: ['111111111111'] }),
    /pullAccounts and replicaRegions pull the image by name: give repositoryName too/,
  );
  assert.throws(
    () =>
      new RegistryStack(other, 'Home', {
        env: { region: 'eu-west-1' },
        repositoryName: 'images',
        replicaRegions: ['eu-west-1'],
      }),
    /replicaRegions names eu-west-1, the repository's own region/,
  );
});

test('replicas in the same account need no repository policy; the creation template then sets none', () => {
  const other = newApp();
  const sameAccount = Template.fromStack(
    new RegistryStack(other, 'SameAccount', {
      env: { region: 'eu-west-1' },
      repositoryName: 'images',
      replicaRegions: ['eu-central-1'],
    }),
  );
  const repository = onlyResource(sameAccount, 'AWS::ECR::Repository').Properties!;
  assert.equal(repository.RepositoryPolicyText, undefined);
  const creation = onlyResource(sameAccount, 'AWS::ECR::RepositoryCreationTemplate').Properties!;
  assert.equal(creation.RepositoryPolicy, undefined);
  assert.equal(creation.Prefix, 'images');
});

test('ECR signs every image pushed to the repository with an AWS Signer profile for Notation', () => {
  template.hasResourceProperties('AWS::Signer::SigningProfile', {
    PlatformId: 'Notation-OCI-SHA384-ECDSA',
    SignatureValidityPeriod: { Type: 'DAYS', Value: 730 },
  });
  const repositoryRef = { Ref: registry.getLogicalId(registry.repository.node.defaultChild as CfnResource) };
  const profileArn = {
    'Fn::GetAtt': [
      registry.getLogicalId(registry.signing.profile.node.defaultChild as CfnResource),
      'ProfileVersionArn',
    ],
  };
  const rules = onlyResource(template, 'AWS::ECR::SigningConfiguration').Properties!.Rules as {
    SigningProfileArn: unknown;
    RepositoryFilters: unknown[];
  }[];
  assert.equal(rules.length, 1);
  assert.deepEqual(rules[0]!.RepositoryFilters, [{ Filter: repositoryRef, FilterType: 'WILDCARD_MATCH' }]);
  assert.match(JSON.stringify(rules[0]!.SigningProfileArn), new RegExp(JSON.stringify(profileArn['Fn::GetAtt'][0])));
  template.hasOutput('SigningProfileArn', {});
});

test('the registry scans the repository on push (basic scanning), which the Build stage waits for', () => {
  const repositoryRef = { Ref: registry.getLogicalId(registry.repository.node.defaultChild as CfnResource) };
  template.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
    ScanType: 'BASIC',
    Rules: [{ ScanFrequency: 'SCAN_ON_PUSH', RepositoryFilters: [{ Filter: repositoryRef, FilterType: 'WILDCARD' }] }],
  });
});
