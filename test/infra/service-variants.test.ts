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

const serviceUrl = (t: Template) => (t.toJSON().Outputs as Record<string, { Value: unknown }>).ServiceUrl!.Value;
type DistributionConfig = {
  Aliases?: string[];
  ViewerCertificate?: Record<string, unknown>;
  DefaultCacheBehavior: { ViewerProtocolPolicy: string };
  CacheBehaviors: { PathPattern: string; ViewerProtocolPolicy: string }[];
  HttpVersion: string;
};
const distribution = (t: Template) =>
  resourcesOfType(t, 'AWS::CloudFront::Distribution')[0]![1].Properties!.DistributionConfig as DistributionConfig;
const listenerAndRule = (t: Template) =>
  [
    ...resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::Listener'),
    ...resourcesOfType(t, 'AWS::ElasticLoadBalancingV2::ListenerRule'),
  ].map(([id, r]) => [id, { ...r.Properties, Tags: undefined }]);

suite('HTTPS to viewers with or without a domain; the load balancer the same either way', () => {
  test('no domain: the *.cloudfront.net name over HTTPS, HTTP redirected, HTTP/2 and HTTP/3', () => {
    const config = distribution(plain);
    assert.equal(config.Aliases, undefined);
    assert.deepEqual(config.ViewerCertificate, undefined);
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      assert.equal(behavior.ViewerProtocolPolicy, 'redirect-to-https');
    }
    assert.equal(config.HttpVersion, 'http2and3');
    plain.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    plain.resourceCountIs('AWS::Route53::RecordSet', 0);
    assert.match(JSON.stringify(serviceUrl(plain)), /^\{"Fn::Join":\["",\["https:\/\/",/);
  });

  for (const [name, t] of [
    ['a hosted zone', zone],
    ['an existing certificate', arn],
  ] as const) {
    test(`${name}: the domain is an alias, served with SNI and TLS 1.2 at least; listener and rule unchanged`, () => {
      const config = distribution(t);
      assert.equal(config.Aliases!.length, 1);
      assert.equal(config.ViewerCertificate!.SslSupportMethod, 'sni-only');
      assert.equal(config.ViewerCertificate!.MinimumProtocolVersion, 'TLSv1.2_2021');
      assert.deepEqual(listenerAndRule(t), listenerAndRule(plain));
    });
  }
});

suite('with a hosted zone', () => {
  test('a new certificate for the domain in the edge stack, in us-east-1, validated through DNS in that zone', () => {
    const edge = stacks.environments.get('zone')!.units[0]!.edge;
    assert.equal(edge.region, 'us-east-1');
    Template.fromStack(edge).hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'clock.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'clock.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    zone.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    assert.match(JSON.stringify(distribution(zone).ViewerCertificate!.AcmCertificateArn), /Fn::GetStackOutput/);
  });

  test('A and AAAA alias records point the domain at the distribution', () => {
    for (const type of ['A', 'AAAA']) {
      zone.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'clock.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        AliasTarget: Match.objectLike({
          DNSName: { 'Fn::GetAtt': [resourcesOfType(zone, 'AWS::CloudFront::Distribution')[0]![0], 'DomainName'] },
        }),
      });
    }
  });

  test('the service URL is https on the domain', () => {
    assert.equal(serviceUrl(zone), 'https://clock.example.com');
  });
});

suite('with an existing certificate and DNS managed elsewhere', () => {
  test('the distribution uses that certificate; no certificate or record is created', () => {
    assert.equal(distribution(arn).ViewerCertificate!.AcmCertificateArn, CERTIFICATE_ARN);
    arn.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    Template.fromStack(stacks.environments.get('arn')!.units[0]!.edge).resourceCountIs(
      'AWS::CertificateManager::Certificate',
      0,
    );
    arn.resourceCountIs('AWS::Route53::RecordSet', 0);
    assert.equal(serviceUrl(arn), 'https://clock.example.org');
    const outputs = arn.toJSON().Outputs as Record<string, { Value: Resource }>;
    assert.ok(outputs.DistributionDomainName, 'the CNAME target is an output');
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
