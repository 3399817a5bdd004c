/**
 * The changes docs/deploy.md tells a user to make, each synthesised before and after and diffed as `cdk diff`
 * does (@aws-cdk/cloudformation-diff, with CloudFormation's own replacement rules): nothing bound to a port and
 * nothing that holds state is replaced or deleted.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { App } from 'aws-cdk-lib';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { addServiceStacks } from '../../infra/lib/service-stacks.ts';
import { STAGING, type EnvironmentSettings } from '../../infra/lib/environments.ts';
import { CERTIFICATE_ARN, SAMPLE_CONTEXT } from './helpers.ts';
import { deploymentFromContext } from '../../infra/lib/deployment.ts';
import { IDENTITY } from '../../src/identity.ts';

type TemplateJson = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
};

/** Export name to value: CloudFormation refuses to change an export that another stack imports. */
const exportsOf = (template: TemplateJson) =>
  Object.fromEntries(
    Object.values(template.Outputs ?? {}).flatMap((o) => (o.Export === undefined ? [] : [[o.Export.Name, o.Value]])),
  );

/** Types a client connects to (a port, a target) or that hold data, names or addresses others depend on. */
const PROTECTED = new Set([
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::SecurityGroup',
  'AWS::ECS::Service',
  'AWS::ECS::Cluster',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::EIP',
  'AWS::EC2::NatGateway',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::SNS::Topic',
  'AWS::SSM::Parameter',
  'AWS::ECR::Repository',
]);

/** Every stack's template, by stack name, with the app built as infra/bin/app.ts builds it. */
function synthesise(
  settings: EnvironmentSettings | readonly EnvironmentSettings[],
  toolsAccount?: string,
): Record<string, TemplateJson> {
  const app = new App({ context: cdkJson.context });
  addServiceStacks(app, { imageTag: '1.2.3', environments: [settings].flat(), toolsAccount });
  return Object.fromEntries(app.synth().stacks.map((stack) => [stack.stackName, stack.template as TemplateJson]));
}

/** "Stack Type IMPACT" for every resource the change replaces, may replace, deletes or orphans. */
function disruptions(before: Record<string, TemplateJson>, after: Record<string, TemplateJson>): string[] {
  const found: string[] = [];
  for (const stack of Object.keys(before)) {
    fullDiff(before[stack]!, after[stack]!).resources.forEachDifference((_logicalId, change) => {
      if (
        [ResourceImpact.WILL_UPDATE, ResourceImpact.WILL_CREATE, ResourceImpact.NO_CHANGE].includes(change.changeImpact)
      )
        return;
      found.push(`${stack} ${change.resourceType} ${change.changeImpact}`);
    });
  }
  return found.sort();
}

const withService = (service: Partial<EnvironmentSettings['service']>): EnvironmentSettings => ({
  ...STAGING,
  service: { ...STAGING.service, ...service },
});

const TOOLS = '333333333333';
const beforeOneAccount = synthesise(STAGING);
const before = beforeOneAccount;
const SERVICE = `${IDENTITY.id}-Staging-Service`;
const TASK_DEFINITION_REVISION = [`${SERVICE} AWS::ECS::TaskDefinition WILL_REPLACE`];

const CHANGES: { name: string; settings: EnvironmentSettings; expected: string[] }[] = [
  {
    name: 'adding a domain with an existing certificate',
    settings: withService({ domainName: 'clock.example.org', certificateArn: CERTIFICATE_ARN }),
    expected: [],
  },
  {
    name: 'adding a domain with a hosted zone (a new certificate)',
    settings: withService({
      domainName: 'clock.example.com',
      hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
    }),
    expected: [],
  },
  {
    name: 'changing the runtime configuration',
    settings: withService({ logLevel: 'debug', logRequests: true }),
    // A new task definition revision is how ECS rolls a change out, through the canary.
    expected: TASK_DEFINITION_REVISION,
  },
  {
    name: 'changing the task size',
    settings: withService({ cpu: 512, memoryLimitMiB: 1024 }),
    expected: TASK_DEFINITION_REVISION,
  },
  {
    name: 'adding a secret',
    settings: withService({
      secretArns: { API_KEY: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:clock/api-key-AbCdEf' },
    }),
    expected: TASK_DEFINITION_REVISION,
  },
  {
    name: 'switching to one NAT gateway per zone',
    settings: { ...STAGING, network: { ...STAGING.network, natGateways: 2 } },
    expected: [],
  },
];

suite('change safety: what a user is told to change replaces nothing bound to a port or holding state', () => {
  const separate = (settings: EnvironmentSettings) => synthesise({ ...settings, account: '111111111111' }, TOOLS);
  const beforeSeparate = separate(STAGING);
  for (const { name, settings, expected, inAccount } of CHANGES.flatMap((change) => [
    { ...change, inAccount: false },
    { ...change, name: `${change.name}, with staging in an account of its own`, inAccount: true },
  ])) {
    test(name, () => {
      const before = inAccount ? beforeSeparate : beforeOneAccount;
      const after = inAccount ? separate(settings) : synthesise(settings);
      const disrupted = disruptions(before, after);
      assert.deepEqual(disrupted, expected);
      for (const line of disrupted) assert.ok(!PROTECTED.has(line.split(' ')[1]!), line);
      // The strong cross-stack references hold: no export another stack imports changes.
      for (const [stack, template] of Object.entries(before)) {
        assert.deepEqual(exportsOf(after[stack]!), exportsOf(template), stack);
      }
      // Same logical ids for every protected resource: nothing is renamed into a replacement.
      for (const [stack, template] of Object.entries(before)) {
        for (const [logicalId, resource] of Object.entries(template.Resources)) {
          if (PROTECTED.has(resource.Type)) {
            assert.equal(after[stack]!.Resources[logicalId]?.Type, resource.Type, `${stack} ${logicalId}`);
          }
        }
      }
    });
  }

  // A domain is an alias on the distribution: the load balancer, its listener and rule, the target groups and every
  // ECS resource stay exactly as they were, so no canary weights can be lost (the old aws/aws-cdk#36649 recovery).
  const UNTOUCHED = /^AWS::(ElasticLoadBalancingV2|ECS)::/;
  for (const change of CHANGES.slice(0, 2)) {
    test(`${change.name} changes no listener, rule, target group or ECS resource`, () => {
      const pick = (templates: Record<string, TemplateJson>) =>
        Object.fromEntries(
          Object.entries(templates[SERVICE]!.Resources).filter(([, resource]) => UNTOUCHED.test(resource.Type)),
        );
      const untouched = pick(before);
      assert.ok(Object.keys(untouched).length >= 8, Object.keys(untouched).join(', '));
      assert.deepEqual(pick(synthesise(change.settings)), untouched);
    });
  }

  test('the diff sees a replacement where there is one', () => {
    // A new VPC CIDR replaces the VPC: the check above would catch a change that did this.
    const after = synthesise({ ...STAGING, network: { ...STAGING.network, cidr: '10.1.0.0/16' } });
    assert.ok(disruptions(before, after).includes(`${IDENTITY.id}-Staging-Network AWS::EC2::VPC WILL_REPLACE`));
  });

  test('adding a production region adds stacks and replaces or renames nothing already deployed', () => {
    const [staging, production] = deploymentFromContext({ ...SAMPLE_CONTEXT, productionRegions: 'eu-west-1' })
      .environments as [EnvironmentSettings, EnvironmentSettings];
    const oneRegion = synthesise([staging, production], TOOLS);
    const twoRegions = synthesise([staging, { ...production, waves: [['eu-west-1'], ['eu-central-1']] }], TOOLS);
    assert.deepEqual(
      Object.keys(twoRegions).filter((stack) => !(stack in oneRegion)),
      [
        `${IDENTITY.id}-Production-EuCentral1-Edge`,
        `${IDENTITY.id}-Production-EuCentral1-Network`,
        `${IDENTITY.id}-Production-EuCentral1-Service`,
      ],
    );
    assert.deepEqual(disruptions(oneRegion, twoRegions), []);
  });
});
