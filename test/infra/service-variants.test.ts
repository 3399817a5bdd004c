import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildServiceApp, CERTIFICATE_ARN, VARIANTS, resourcesOfType, type Resource } from './helpers.ts';
import { IDENTITY } from '../../src/identity.ts';

// One synthesis for the three variants, side by side in one app.
const { stacks } = buildServiceApp({ environments: VARIANTS });
const template = (name: string) => Template.fromStack(stacks.environments.get(name)!.service);
const plain = template('staging');
const zone = template('zone');
const arn = template('arn');

const listeners = (t: Template) =>
  resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::Listener').map(([id, r]) => [id, r.Properties!] as const);
const listenerOn = (t: Template, port: number) => listeners(t).find(([, l]) => l.Port === port);
const openPorts = (t: Template) =>
  (
    resourcesOfType(t, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('LoadBalancerSecurityGroup'))![1]
      .Properties!.SecurityGroupIngress as { FromPort: number; CidrIp: string }[]
  ).map((rule) => [rule.FromPort, rule.CidrIp]);
const serviceUrl = (t: Template) => (t.toJSON().Outputs as Record<string, { Value: unknown }>).ServiceUrl!.Value;

const REDIRECT = [
  {
    Type: 'redirect',
    RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
  },
];

suite('HTTPS appears exactly when a certificate is given', () => {
  test('no certificate: one HTTP listener on 80 that serves, no 443, no redirect', () => {
    assert.deepEqual(
      listeners(plain).map(([, l]) => [l.Port, l.Protocol]),
      [[80, 'HTTP']],
    );
    assert.deepEqual(openPorts(plain), [[80, '0.0.0.0/0']]);
    plain.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    plain.resourceCountIs('AWS::Route53::RecordSet', 0);
    assert.match(JSON.stringify(serviceUrl(plain)), /^\{"Fn::Join":\["",\["http:\/\/",/);
  });

  for (const [name, t] of [
    ['a hosted zone', zone],
    ['an existing certificate', arn],
  ] as const) {
    test(`${name}: HTTPS on 443 serves, and 80 redirects to it permanently`, () => {
      assert.deepEqual(
        listeners(t)
          .map(([, l]) => [l.Port, l.Protocol])
          .sort(),
        [
          [443, 'HTTPS'],
          [80, 'HTTP'],
        ],
      );
      assert.deepEqual(listenerOn(t, 80)![1].DefaultActions, REDIRECT);
      assert.equal(listenerOn(t, 443)![1].SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09');
      assert.deepEqual(openPorts(t).sort(), [
        [443, '0.0.0.0/0'],
        [80, '0.0.0.0/0'],
      ]);
      // The canary's production rule sits on the listener that serves: 443.
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        ListenerArn: { Ref: listenerOn(t, 443)![0] },
      });
    });
  }
});

suite('with a hosted zone', () => {
  test('a new certificate for the domain, validated through DNS in that zone', () => {
    zone.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'clock.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'clock.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    const certificate = resourcesOfType(zone, 'AWS::CertificateManager::Certificate')[0]![0];
    assert.deepEqual(listenerOn(zone, 443)![1].Certificates, [{ CertificateArn: { Ref: certificate } }]);
  });

  test('an alias record points the domain at the load balancer', () => {
    zone.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'clock.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  test('the service URL is https on the domain', () => {
    assert.equal(serviceUrl(zone), 'https://clock.example.com');
  });
});

suite('with an existing certificate and DNS managed elsewhere', () => {
  test('the listener uses that certificate; no certificate or record is created', () => {
    assert.deepEqual(listenerOn(arn, 443)![1].Certificates, [{ CertificateArn: CERTIFICATE_ARN }]);
    arn.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    arn.resourceCountIs('AWS::Route53::RecordSet', 0);
    assert.equal(serviceUrl(arn), 'https://clock.example.org');
    const outputs = arn.toJSON().Outputs as Record<string, { Value: Resource }>;
    assert.ok(outputs.LoadBalancerDnsName, 'the CNAME target is an output');
  });
});

suite('runtime configuration', () => {
  const label = (t: Template) =>
    (
      resourcesOfType(t, 'AWS::ECS::TaskDefinition')[0]![1].Properties!.ContainerDefinitions as {
        DockerLabels: Record<string, string>;
      }[]
    )[0]!.DockerLabels[`${IDENTITY.slug}.runtime-config`];
  const logLevel = (t: Template) =>
    resourcesOfType(t, 'AWS::SSM::Parameter').find(([, r]) => String(r.Properties!.Name).endsWith('/LOG_LEVEL'))![1]
      .Properties!.Value;

  test('a changed value changes the task definition, so that it rolls out through the canary', () => {
    assert.equal(logLevel(plain), 'info');
    assert.equal(logLevel(arn), 'debug');
    assert.match(label(plain)!, /^[0-9a-f]{16}$/);
    assert.notEqual(label(arn), label(plain));
  });

  test('the same values give the same task definition: no deployment without a change', () => {
    assert.equal(label(zone), label(plain));
  });
});
