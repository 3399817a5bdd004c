/**
 * Environments as data (infra/lib/deployment.ts): accounts and production's waves of regions from context, checked
 * before any stack exists; and the app they build, for the one-account default and the multi-account sample.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { deploymentFromContext } from '../../infra/lib/deployment.ts';
import { REGION, ZONES } from '../../infra/lib/environments.ts';
import { environmentStackName, repositoryName, sharedStackName } from '../../infra/lib/names.ts';
import { IDENTITY } from '../../src/identity.ts';
import { buildServiceApp, onlyResource, resourcesOfType, SAMPLE_CONTEXT } from './helpers.ts';

suite('environments from context', () => {
  test('no context: staging and production in the home region of the credentials’ account', () => {
    const { toolsAccount, environments } = deploymentFromContext({});
    assert.equal(toolsAccount, undefined);
    assert.deepEqual(
      environments.map(({ name, account, waves }) => ({ name, account, waves })),
      [
        { name: 'staging', account: undefined, waves: [[REGION]] },
        { name: 'production', account: undefined, waves: [[REGION]] },
      ],
    );
  });

  test('the sample: each environment in its account, production in two waves', () => {
    const { toolsAccount, environments } = deploymentFromContext(SAMPLE_CONTEXT);
    assert.equal(toolsAccount, '333333333333');
    assert.deepEqual(
      environments.map(({ name, account, waves }) => ({ name, account, waves })),
      [
        { name: 'staging', account: '111111111111', waves: [[REGION]] },
        { name: 'production', account: '222222222222', waves: [['eu-west-1'], ['eu-central-1']] },
      ],
    );
  });

  test('"+" joins the regions of one wave', () => {
    const { environments } = deploymentFromContext({ productionRegions: 'eu-west-1+eu-west-2,us-east-1' });
    assert.deepEqual(environments[1]!.waves, [['eu-west-1', 'eu-west-2'], ['us-east-1']]);
  });

  test('a malformed account id stops synthesis, naming the key, the value and the form expected', () => {
    assert.throws(
      () => deploymentFromContext({ ...SAMPLE_CONTEXT, productionAccount: '22222222222' }),
      /-c productionAccount="22222222222" is not an AWS account id: expected 12 digits/,
    );
    assert.throws(
      () => deploymentFromContext({ toolsAccount: 'tools' }),
      /-c toolsAccount="tools" is not an AWS account id/,
    );
  });

  test('an unknown region stops synthesis, naming it and the regions expected', () => {
    assert.throws(
      () => deploymentFromContext({ productionRegions: 'eu-west-1,eu-wset-2' }),
      (error: Error) =>
        error.message.includes('"eu-wset-2" is not one this app knows') &&
        error.message.includes(`expected one of ${Object.keys(ZONES).join(', ')}`),
    );
    assert.throws(() => deploymentFromContext({ productionRegions: 'eu-west-1,,eu-central-1' }), /empty region/);
    assert.throws(() => deploymentFromContext({ productionRegions: 'eu-west-1,eu-west-1' }), /eu-west-1 twice/);
  });

  test('a workload account needs the tools account: from context, else from the credentials', () => {
    assert.throws(
      () => deploymentFromContext({ stagingAccount: '111111111111' }),
      /expected -c toolsAccount=<12 digits>, or synth with credentials of that account/,
    );
    assert.equal(
      deploymentFromContext({ stagingAccount: '111111111111' }, '333333333333').toolsAccount,
      '333333333333',
    );
    // The one-account path stays environment-agnostic even with credentials at hand.
    assert.equal(deploymentFromContext({}, '333333333333').toolsAccount, undefined);
  });

  test('a region outside the home region gets its part in the stack name; the home region keeps the plain one', () => {
    assert.equal(environmentStackName('Production', 'Service'), `${IDENTITY.id}-Production-Service`);
    assert.equal(
      environmentStackName('Production', 'Service', 'eu-central-1'),
      `${IDENTITY.id}-Production-EuCentral1-Service`,
    );
  });
});

suite('the app the sample builds', () => {
  const { app, stacks } = buildServiceApp(deploymentFromContext(SAMPLE_CONTEXT));
  // Synthesis runs cdk-nag, the CloudFormation validator and the Control Tower rules: it throws on a finding.
  const assembly = app.synth();
  const registry = Template.fromStack(stacks.registry);

  test('every stack in its account and region, production once per region', () => {
    const placed = Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, stack.environment.name]));
    assert.deepEqual(placed, {
      [sharedStackName('Registry')]: `aws://333333333333/${REGION}`,
      [environmentStackName('Staging', 'Edge')]: 'aws://111111111111/us-east-1',
      [environmentStackName('Staging', 'Network')]: `aws://111111111111/${REGION}`,
      [environmentStackName('Staging', 'Service')]: `aws://111111111111/${REGION}`,
      [environmentStackName('Production', 'Edge')]: 'aws://222222222222/us-east-1',
      [environmentStackName('Production', 'Network')]: `aws://222222222222/${REGION}`,
      [environmentStackName('Production', 'Service')]: `aws://222222222222/${REGION}`,
      [environmentStackName('Production', 'Edge', 'eu-central-1')]: 'aws://222222222222/us-east-1',
      [environmentStackName('Production', 'Network', 'eu-central-1')]: 'aws://222222222222/eu-central-1',
      [environmentStackName('Production', 'Service', 'eu-central-1')]: 'aws://222222222222/eu-central-1',
    });
    assert.deepEqual(
      stacks.environments.get('production')!.units.map(({ region, wave }) => ({ region, wave })),
      [
        { region: 'eu-west-1', wave: 0 },
        { region: 'eu-central-1', wave: 1 },
      ],
    );
  });

  test('no context lookup: the zones are the named ones, even in a stack with an account', () => {
    assert.equal(assembly.manifest.missing, undefined, JSON.stringify(assembly.manifest.missing));
  });

  test('each region’s network spreads over that region’s zones', () => {
    const network = stacks.environments.get('production')!.units[1]!.network;
    const zones = resourcesOfType(Template.fromStack(network), 'AWS::EC2::Subnet').map(
      ([, subnet]) => subnet.Properties!.AvailabilityZone,
    );
    assert.deepEqual([...new Set(zones)].sort(), [...ZONES['eu-central-1']!]);
  });

  test('no stack reads another account’s or region’s stack through an export or a stack output, but its edge stack', () => {
    for (const stack of assembly.stacks) {
      const text = JSON.stringify(stack.template);
      const read = [...text.matchAll(/"Fn::GetStackOutput":\{"StackName":"([^"]+)"/g)].map((m) => m[1]);
      for (const name of read) assert.equal(name, stack.stackName.replace(/-Service$/, '-Edge'), stack.stackName);
      assert.doesNotMatch(text, new RegExp(`"Fn::ImportValue":"${sharedStackName('Registry')}:`), stack.stackName);
    }
  });

  for (const [unit, region] of [
    ['staging', REGION],
    ['production', 'eu-central-1'],
  ] as const) {
    test(`the ${unit} service in ${region} pulls the image by name from the tools account’s registry there`, () => {
      const units = stacks.environments.get(unit)!.units;
      const service = units.find((candidate) => candidate.region === region)!.service;
      const definition = onlyResource(Template.fromStack(service), 'AWS::ECS::TaskDefinition');
      const image = JSON.stringify((definition.Properties!.ContainerDefinitions as { Image: unknown }[])[0]!.Image);
      assert.equal(
        image,
        JSON.stringify({
          'Fn::Join': [
            '',
            [`333333333333.dkr.ecr.${region}.`, { Ref: 'AWS::URLSuffix' }, `/${repositoryName()}:1.2.3`],
          ],
        }),
      );
    });
  }

  test('keys and logs: every key policy and log destination names the stack’s own account and region', () => {
    const accounts = new Set(['111111111111', '222222222222', '333333333333']);
    for (const { units } of stacks.environments.values()) {
      for (const { network, service, account, region } of units) {
        for (const stack of [network, service]) {
          const template = Template.fromStack(stack);
          for (const [id, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
            const policy = JSON.stringify(key.Properties!.KeyPolicy);
            const named = new Set(policy.match(/\d{12}/g));
            assert.deepEqual([...named], [account], `${stack.stackName} ${id}`);
            for (const service of policy.match(/logs\.[a-z0-9-]+\.amazonaws\.com/g) ?? []) {
              assert.equal(service, `logs.${region}.amazonaws.com`, `${stack.stackName} ${id}`);
            }
          }
          // Another of the sample's accounts appears only where the image is pulled from the tools account, and in
          // the role the tools account's pipeline assumes for staging's promotion checks.
          for (const [id, resource] of Object.entries(
            (template.toJSON() as { Resources: Record<string, unknown> }).Resources,
          )) {
            const others = (JSON.stringify(resource).match(/\d{12}/g) ?? []).filter(
              (found) => accounts.has(found) && found !== account,
            );
            if (others.length === 0) continue;
            assert.deepEqual(new Set(others), new Set(['333333333333']), `${stack.stackName} ${id}`);
            assert.match(
              id,
              /^(AppTaskDefinition|PromotionChecksRole[0-9A-F]{8}$)/,
              `${stack.stackName} ${id}: ${JSON.stringify(resource)}`,
            );
          }
        }
      }
    }
  });

  test("staging's promotion-check role trusts the tools account, whose pipeline runs the checks", () => {
    const staging = Template.fromStack(stacks.environments.get('staging')!.units[0]!.service);
    const roles = resourcesOfType(staging, 'AWS::IAM::Role').filter(([id]) => id.startsWith('PromotionChecksRole'));
    assert.equal(roles.length, 1);
    const role = roles[0]![1];
    assert.deepEqual((role.Properties!.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' } },
    ]);
  });

  test('the repository has a fixed name, and only the workload accounts may pull', () => {
    registry.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: repositoryName(),
      RepositoryPolicyText: {
        Statement: [
          {
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam::111111111111:root', 'arn:aws:iam::222222222222:root'] },
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('ECR replicates the repository to every production region but the home one, with the same pull policy', () => {
    registry.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [{ Region: 'eu-central-1', RegistryId: '333333333333' }],
            RepositoryFilters: [{ Filter: repositoryName(), FilterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
    const template = onlyResource(registry, 'AWS::ECR::RepositoryCreationTemplate').Properties!;
    assert.deepEqual(template.AppliedFor, ['REPLICATION']);
    assert.equal(template.ImageTagMutability, 'IMMUTABLE');
    const policy = JSON.parse(template.RepositoryPolicy as string) as { Statement: { Principal: unknown }[] };
    assert.deepEqual(policy.Statement[0]!.Principal, {
      AWS: ['arn:aws:iam::111111111111:root', 'arn:aws:iam::222222222222:root'],
    });
  });
});

suite('the default app keeps the one-account registry', () => {
  const { stacks } = buildServiceApp();
  const registry = Template.fromStack(stacks.registry);

  test('a generated name, no repository policy, no replication', () => {
    const repository = onlyResource(registry, 'AWS::ECR::Repository').Properties!;
    assert.equal(repository.RepositoryName, undefined);
    assert.equal(repository.RepositoryPolicyText, undefined);
    registry.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
    registry.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
  });
});
