import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Duration } from 'aws-cdk-lib';
import { NetworkStack, type NetworkStackProps } from '../../infra/lib/network-stack.ts';
import { EdgeStack } from '../../infra/lib/edge-stack.ts';
import { RegistryStack } from '../../infra/lib/registry-stack.ts';
import { ServiceStack, type ServiceStackProps } from '../../infra/lib/service-stack.ts';
import { CERTIFICATE_ARN, newApp } from './helpers.ts';

// Constructing stacks is enough: a bad setting must throw before anything is synthesised.
const app = newApp();
const env = { region: 'eu-west-1' };
const zones = ['eu-west-1a', 'eu-west-1b'];
const { repository } = new RegistryStack(app, 'Registry', { env });
const { vpc } = new NetworkStack(app, 'Network', { env, availabilityZones: zones });
let serial = 0;

type ServiceSettings = Partial<Omit<ServiceStackProps, 'vpc' | 'repository' | 'edge'>>;
const edge = new EdgeStack(app, 'Edge', { env: { region: 'us-east-1' } });
const zoneEdge = new EdgeStack(app, 'ZoneEdge', {
  env: { region: 'us-east-1' },
  domainName: 'example.com',
  hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
});
function service(settings: ServiceSettings): ServiceStack {
  return new ServiceStack(app, `Service${++serial}`, {
    env,
    vpc,
    repository,
    imageTag: '1.0.0',
    environmentName: 'test',
    // A hosted zone without a certificate ARN: the edge stack issues the certificate.
    edge:
      settings.hostedZone !== undefined && settings.certificateArn === undefined
        ? zoneEdge.attachment
        : edge.attachment,
    ...settings,
  });
}
function network(settings: Partial<NetworkStackProps>): NetworkStack {
  return new NetworkStack(app, `Network${++serial}`, { env, availabilityZones: zones, ...settings });
}

const zone = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' };
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:clock/api-key-AbC123';

const INVALID_SERVICES: [string, ServiceSettings, RegExp][] = [
  [
    'one task',
    { minTasks: 1 },
    /Service\d+: minTasks must be a whole number of at least 2 \(one task per zone\), got 1/,
  ],
  ['more tasks at least than at most', { minTasks: 5, maxTasks: 3 }, /minTasks \(5\) is above maxTasks \(3\)/],
  [
    'a certificate without a domain',
    { certificateArn: CERTIFICATE_ARN },
    /certificateArn needs domainName: clients must use a name the certificate covers/,
  ],
  ['a hosted zone without a domain', { hostedZone: zone }, /hostedZone needs domainName/],
  [
    'a domain with neither certificate nor zone',
    { domainName: 'clock.example.com' },
    /domainName clock\.example\.com needs certificateArn, or hostedZone to issue a DNS-validated certificate in/,
  ],
  [
    'a domain outside its hosted zone',
    { domainName: 'clock.example.org', hostedZone: zone },
    /domainName clock\.example\.org is not in the hosted zone example\.com/,
  ],
  [
    'a suffix that is not a subdomain',
    { domainName: 'notexample.com', hostedZone: zone },
    /domainName notexample\.com is not in the hosted zone example\.com/,
  ],
  [
    'an upper-case domain',
    { domainName: 'Clock.Example.com', hostedZone: zone },
    /domainName "Clock\.Example\.com" is not a lower-case DNS name/,
  ],
  [
    'a certificate ARN that is not ACM',
    { domainName: 'clock.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
    /certificateArn "arn:aws:iam::123456789012:server-certificate\/x" is not an ACM certificate ARN/,
  ],
  [
    'a certificate outside us-east-1, where CloudFront reads certificates',
    { domainName: 'clock.example.com', certificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') },
    /certificateArn is in eu-west-1, but CloudFront reads certificates from us-east-1 only/,
  ],
  ['a CPU size Fargate does not offer', { cpu: 300 }, /cpu 300 is not a Fargate size: use one of 256, 512, 1024/],
  [
    'memory that does not fit the CPU',
    { cpu: 256, memoryLimitMiB: 4096 },
    /memoryLimitMiB 4096 is not valid with cpu 256/,
  ],
  [
    'a stop timeout no longer than the shutdown grace',
    { shutdownTimeout: Duration.seconds(10), stopTimeout: Duration.seconds(10) },
    /stopTimeout \(10 s\) must be longer than shutdownTimeout \(10 s\), or ECS kills the task before requests in flight finish/,
  ],
  [
    'a stop timeout above Fargate’s 120 s',
    { stopTimeout: Duration.seconds(150) },
    /stopTimeout is at most 120 s on Fargate/,
  ],
  ['an image tag ECR would refuse', { imageTag: 'v 1' }, /imageTag "v 1" is not a valid image tag/],
  ['an empty image tag', { imageTag: '' }, /imageTag "" is not a valid image tag/],
  [
    'an image digest that is only hex',
    { imageDigest: 'a'.repeat(64) },
    /imageDigest "a{64}" is not an image digest: expected sha256:<64 hex digits>/,
  ],
  [
    'an image digest one digit short',
    { imageDigest: `sha256:${'a'.repeat(63)}` },
    /imageDigest "sha256:a{63}" is not an image digest/,
  ],
  [
    'an image digest in capitals',
    { imageDigest: `sha256:${'A'.repeat(64)}` },
    /imageDigest "sha256:A{64}" is not an image digest/,
  ],
  ['an upper-case environment name', { environmentName: 'Staging' }, /environmentName "Staging" must be lower-case/],
  ['a log level the app rejects', { logLevel: 'verbose' as never }, /logLevel "verbose" is not one of fatal, error/],
  ['a CPU target of 100 %', { cpuTargetPercent: 100 }, /cpuTargetPercent must be between 0 and 100, got 100/],
  ['no requests per task', { requestsPerTaskTarget: 0 }, /requestsPerTaskTarget must be positive, got 0/],
  ['a 5xx threshold of 0 %', { serverErrorRatePercent: 0 }, /serverErrorRatePercent must be between 0 and 100, got 0/],
  ['an alarm email that is not one', { alarmEmail: 'ops' }, /alarmEmail "ops" is not an email address/],
  [
    'a secret name that is not a variable name',
    { secretArns: { 'api-key': secretArn } },
    /secret name "api-key" is not/,
  ],
  [
    'a secret that shadows a parameter',
    { secretArns: { LOG_LEVEL: secretArn } },
    /secret name LOG_LEVEL is already set from SSM Parameter Store/,
  ],
  [
    'a partial secret ARN',
    { secretArns: { API_KEY: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:clock/api-key' } },
    /secret API_KEY: .* is not a complete Secrets Manager ARN \(with its 6-character suffix\)/,
  ],
  [
    'a secrets key that is not a KMS key ARN',
    { secretArns: { API_KEY: secretArn }, secretsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/clock' },
    /secretsKeyArn "arn:aws:kms:eu-west-1:123456789012:alias\/clock" is not a KMS key ARN/,
  ],
  [
    'a secrets key without secrets',
    { secretsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    /secretsKeyArn is given, but no secretArns to decrypt/,
  ],
  [
    'a canary that moves on before its rollback alarms can fire',
    { canary: { percent: 10, bakeTime: Duration.minutes(4) } },
    /canary bakeTime 4 min is shorter than the rollback alarms need to fire \(5 min window \+ 2 min metric delay\)/,
  ],
  [
    'a canary share ECS does not accept',
    { canary: { percent: 0, bakeTime: Duration.minutes(10) } },
    /Canary deployment stepPercent must be between 0\.1 and 100\.0, received 0/,
  ],
];

suite('the service stack refuses settings AWS would reject or regret', () => {
  for (const [name, settings, message] of INVALID_SERVICES) {
    test(name, () => {
      assert.throws(() => service(settings), message);
    });
  }
});

suite('the service stack accepts the boundaries', () => {
  test('as many tasks at most as at least', () => {
    assert.doesNotThrow(() => service({ minTasks: 2, maxTasks: 2 }));
  });
  test('a stop timeout one second above the shutdown grace, and Fargate’s maximum', () => {
    assert.doesNotThrow(() => service({ shutdownTimeout: Duration.seconds(10), stopTimeout: Duration.seconds(11) }));
    assert.doesNotThrow(() => service({ stopTimeout: Duration.seconds(120) }));
  });
  test('the apex of the hosted zone, written with or without the final dot', () => {
    assert.doesNotThrow(() => service({ domainName: 'example.com', hostedZone: zone }));
    assert.doesNotThrow(() =>
      service({ domainName: 'a.example.com', hostedZone: { ...zone, zoneName: 'example.com.' } }),
    );
  });
  test('larger Fargate sizes', () => {
    assert.doesNotThrow(() => service({ cpu: 1024, memoryLimitMiB: 8192 }));
  });
  test('a complete secret ARN', () => {
    assert.doesNotThrow(() => service({ secretArns: { API_KEY: secretArn } }));
  });
});

suite('the network stack', () => {
  test('refuses a single zone', () => {
    assert.throws(
      () => network({ availabilityZones: ['eu-west-1a'] }),
      /availabilityZones must name at least 2 distinct zones, got \[eu-west-1a\]/,
    );
  });
  test('refuses a zone named twice', () => {
    assert.throws(() => network({ availabilityZones: ['eu-west-1a', 'eu-west-1a'] }), /at least 2 distinct zones/);
  });
  test('refuses no NAT gateway, and more than one per zone', () => {
    assert.throws(
      () => network({ natGateways: 0 }),
      /natGateways must be from 1 to 2 \(one per zone at most\), got 0: the tasks run in private subnets/,
    );
    assert.throws(() => network({ natGateways: 3 }), /natGateways must be from 1 to 2 \(one per zone at most\), got 3/);
  });
  test('accepts one NAT gateway per zone', () => {
    assert.doesNotThrow(() => network({ natGateways: 2 }));
  });
});

suite('the registry stack', () => {
  test('refuses to keep no deployed image', () => {
    assert.throws(
      () => new RegistryStack(app, `Registry${++serial}`, { env, deployedImagesKept: 0 }),
      /deployedImagesKept must be a whole number from 1, got 0/,
    );
  });
});
