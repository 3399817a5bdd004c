/**
 * The edge of one copy: the distribution's behaviours, cache key and origin, the invalidation after a deploy, and
 * where the edge stack and its web ACL may live.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EdgeStack } from '../../infra/lib/edge-stack.ts';
import { CLOUDFRONT_ORIGIN_FACING, cloudFrontOriginFacing, STAGING, ZONES } from '../../infra/lib/environments.ts';
import { WebAcl } from '../../infra/lib/service/web-acl.ts';
import { addServiceStacks } from '../../infra/lib/service-stacks.ts';
import { CACHE_BYPASS_HEADER } from '../../tools/post-deploy-checks.ts';
import { newApp, onlyResource, resourcesOfType } from './helpers.ts';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RemovalPolicy } from 'aws-cdk-lib';

// Without the checks: other files run them; this one reads the templates.
const app = newApp();
const stacks = addServiceStacks(app, { imageTag: '1.2.3', environments: [STAGING] });
const service = Template.fromStack(stacks.environments.get('staging')!.service);

type Behavior = {
  PathPattern?: string;
  CachePolicyId: unknown;
  OriginRequestPolicyId?: unknown;
  ViewerProtocolPolicy: string;
  Compress: boolean;
  AllowedMethods: string[];
  TargetOriginId: string;
};
const config = onlyResource(service, 'AWS::CloudFront::Distribution').Properties!.DistributionConfig as {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: { Id: string; VpcOriginConfig?: { VpcOriginId: unknown } }[];
};
const [cachePolicyId, cachePolicy] = resourcesOfType(service, 'AWS::CloudFront::CachePolicy')[0]!;

suite('the distribution', () => {
  test('caches /clock and /clock.svg with the answers policy; everything else goes to the origin uncached', () => {
    assert.deepEqual(
      config.CacheBehaviors.map((b) => [b.PathPattern, b.CachePolicyId]),
      [
        ['/clock', { Ref: cachePolicyId }],
        ['/clock.svg', { Ref: cachePolicyId }],
      ],
    );
    // CloudFront's managed CachingDisabled policy.
    assert.equal(config.DefaultCacheBehavior.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      assert.equal(behavior.Compress, true);
      assert.equal(behavior.ViewerProtocolPolicy, 'redirect-to-https');
      assert.deepEqual(behavior.AllowedMethods, ['GET', 'HEAD']);
    }
  });

  test('the cache key: the query, Accept and the post-deploy bypass header; the origin decides, up to a day', () => {
    const settings = cachePolicy.Properties!.CachePolicyConfig as Record<string, unknown> as {
      DefaultTTL: number;
      MinTTL: number;
      MaxTTL: number;
      ParametersInCacheKeyAndForwardedToOrigin: {
        QueryStringsConfig: unknown;
        HeadersConfig: { HeaderBehavior: string; Headers: string[] };
        CookiesConfig: unknown;
        EnableAcceptEncodingGzip: boolean;
        EnableAcceptEncodingBrotli: boolean;
      };
    };
    const key = settings.ParametersInCacheKeyAndForwardedToOrigin;
    assert.deepEqual(key.QueryStringsConfig, { QueryStringBehavior: 'all' });
    assert.deepEqual(key.HeadersConfig, { HeaderBehavior: 'whitelist', Headers: ['accept', CACHE_BYPASS_HEADER] });
    assert.deepEqual(key.CookiesConfig, { CookieBehavior: 'none' });
    assert.ok(key.EnableAcceptEncodingGzip && key.EnableAcceptEncodingBrotli);
    assert.deepEqual([settings.MinTTL, settings.DefaultTTL, settings.MaxTTL], [0, 0, 86400]);
  });

  test('its one origin is the internal load balancer, through a VPC origin on HTTP, kept alive under its idle timeout', () => {
    assert.equal(config.Origins.length, 1);
    const [vpcOriginId, vpcOrigin] = resourcesOfType(service, 'AWS::CloudFront::VpcOrigin')[0]!;
    assert.deepEqual(config.Origins[0]!.VpcOriginConfig!.VpcOriginId, { 'Fn::GetAtt': [vpcOriginId, 'Id'] });
    const endpoint = vpcOrigin.Properties!.VpcOriginEndpointConfig as Record<string, unknown>;
    assert.deepEqual(endpoint.Arn, {
      Ref: resourcesOfType(service, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0]![0],
    });
    assert.equal(endpoint.OriginProtocolPolicy, 'http-only');
    assert.equal(endpoint.HTTPPort, 80);
  });
});

suite('the invalidation after a deploy', () => {
  const invalidation = resourcesOfType(service, 'Custom::AWS')[0]![1] as {
    Properties: Record<string, unknown>;
    DependsOn: string[];
  };

  test('invalidates both cached paths with the image tag as its reference, after the ECS service', () => {
    // A JSON document inside Fn::Join, the distribution id joined in: its quotes are escaped once more here.
    const create = JSON.stringify(invalidation.Properties.Create).replaceAll('\\"', "'");
    assert.match(create, /'action':'createInvalidation'/);
    assert.match(create, /'CallerReference':'1\.2\.3'/);
    assert.match(create, /'Items':\['\/clock\*','\/clock\.svg\*'\]/);
    assert.deepEqual(invalidation.Properties.Update, invalidation.Properties.Create);
    const serviceId = resourcesOfType(service, 'AWS::ECS::Service')[0]![0];
    assert.ok(invalidation.DependsOn.includes(serviceId), invalidation.DependsOn.join());
  });

  test('a new image tag changes it, so CloudFormation invalidates again', () => {
    const other = newApp();
    const again = addServiceStacks(other, { imageTag: '1.2.4', environments: [STAGING] });
    const next = resourcesOfType(Template.fromStack(again.environments.get('staging')!.service), 'Custom::AWS')[0]![1];
    assert.notDeepEqual(next.Properties!.Create, invalidation.Properties.Create);
  });

  test('its handler may create invalidations of this distribution only', () => {
    const policy = resourcesOfType(service, 'AWS::IAM::Policy').find(([id]) => id.startsWith('CacheInvalidation'))![1];
    const statements = (policy.Properties!.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
      .Statement;
    assert.equal(statements.length, 1);
    assert.equal(statements[0]!.Action, 'cloudfront:CreateInvalidation');
    assert.match(JSON.stringify(statements[0]!.Resource), /:distribution\/",\{"Ref":"EdgeDistribution/);
  });
});

suite('where the edge lives', () => {
  test('every region the app knows has its CloudFront origin-facing prefix list', () => {
    assert.deepEqual(Object.keys(CLOUDFRONT_ORIGIN_FACING).sort(), Object.keys(ZONES).sort());
    assert.throws(() => cloudFrontOriginFacing('sa-east-1'), /has no CloudFront origin-facing prefix list/);
  });

  test('the edge stack and a CLOUDFRONT web ACL refuse any region but us-east-1', () => {
    const bare = new App();
    assert.throws(
      () => new EdgeStack(bare, 'Edge', { env: { region: 'eu-west-1' } }),
      /the edge stack must be in us-east-1, where CloudFront reads web ACLs, not eu-west-1/,
    );
    const stack = new Stack(bare, 'Regional', { env: { region: 'eu-west-1' } });
    assert.throws(
      () =>
        new WebAcl(stack, 'WebAcl', {
          requestsPerIpPer5Minutes: 100,
          logRetention: logs.RetentionDays.ONE_DAY,
          logRemovalPolicy: RemovalPolicy.DESTROY,
          logKey: new kms.Key(stack, 'Key'),
        }),
      /a CLOUDFRONT web ACL must be created in us-east-1, not eu-west-1/,
    );
  });
});
