import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { CACHE_BYPASS_HEADER } from '../../../tools/post-deploy-checks.ts';
import { acknowledgeControl } from '../checks.ts';

/** A public hosted zone, given by attributes so that synthesis makes no lookup. */
export interface HostedZoneAttributes {
  readonly hostedZoneId: string;
  /** e.g. example.com */
  readonly zoneName: string;
}

export interface EdgeDistributionProps {
  /** The internal load balancer, reached through a CloudFront VPC origin on its HTTP listener. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The CLOUDFRONT web ACL, from the edge stack in us-east-1. */
  readonly webAclArn: string;
  /** Paths whose answers are pure functions of the query and the Accept header: the edge caches them. */
  readonly cachedPaths: readonly string[];
  /** At most this long at the edge, whatever the origin's max-age. @default Duration.days(1) */
  readonly maxEdgeTtl?: Duration;
  /** The origin's idle timeout: CloudFront must close an idle connection before the load balancer does. */
  readonly originIdleTimeout: Duration;
  /** The name clients use, an alias of the distribution. @default - the distribution's *.cloudfront.net name */
  readonly domainName?: string;
  /** With domainName: an alias record is created here. */
  readonly hostedZone?: HostedZoneAttributes;
  /** A certificate in us-east-1 covering domainName (the edge stack's, or an existing one). */
  readonly certificate?: acm.ICertificate;
}

/**
 * The CloudFront distribution in front of one copy of the service: HTTPS to viewers (HTTP redirects), HTTP/2 and
 * HTTP/3, compression, the edge WAF, and a cache for the answers that are pure functions of their query. The
 * origin is the internal load balancer, through a VPC origin: nothing else on the internet reaches it.
 */
export class EdgeDistribution extends Construct {
  public readonly distribution: cloudfront.Distribution;
  /** https://<domainName>, or https://<distribution>.cloudfront.net without a domain. */
  public readonly url: string;
  /** The cache key of the cached paths: its headers, for the tests and the docs. */
  public readonly cachePolicy: cloudfront.CachePolicy;

  constructor(scope: Construct, id: string, props: EdgeDistributionProps) {
    super(scope, id);
    const domain = parseDomain(this.node.path, props);
    const maxTtl = props.maxEdgeTtl ?? Duration.days(1);

    const origin = origins.VpcOrigin.withApplicationLoadBalancer(props.loadBalancer, {
      // No certificate can cover the internal load balancer's DNS name, so HTTPS ends at the edge; the hop to the
      // origin runs inside AWS, over the VPC origin's elastic network interfaces in this VPC.
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort: 80,
      keepaliveTimeout: props.originIdleTimeout.minus(Duration.seconds(5)),
    });

    // The answers vary by the query and by the representation the Accept header negotiates (the origin sends
    // Vary: accept), so both are in the key. The whole query string is: the routes reject an unknown parameter
    // with a 400 the origin marks no-store, which is never cached, so the only cached keys are the real ones
    // (mirror_time, and view on /clock.svg). Accept goes in as the client sent it: CloudFront cannot run the
    // origin's negotiation, and a normalised copy that disagreed with it would serve one representation for another.
    this.cachePolicy = new cloudfront.CachePolicy(this, 'Answers', {
      comment: 'Answers that are pure functions of the query and the representation',
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('accept', CACHE_BYPASS_HEADER),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      // The origin's Cache-Control decides (a week for an answer, no-store for an error), bounded by maxTtl; an
      // answer without Cache-Control is not kept.
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl,
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // The key's headers reach the origin anyway; the request id too, so that a request can be followed in the logs.
    const originRequests = new cloudfront.OriginRequestPolicy(this, 'AnswerRequests', {
      comment: 'The request id, beside what the cache key forwards',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList('x-request-id'),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const cached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: this.cachePolicy,
      originRequestPolicy: originRequests,
      compress: true,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: Stack.of(this).stackName,
      // Health, the docs, the /mirror page and anything else: straight to the origin, as the client asked.
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries(props.cachedPaths.map((path) => [path, cached])),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: props.webAclArn,
      // Without a domain the default *.cloudfront.net certificate serves, whose minimum CloudFront fixes at TLSv1
      // for the distribution setting; it negotiates TLS 1.2 or 1.3 with every current client. With a certificate
      // of our own, TLS 1.2 is the floor.
      ...(domain === undefined
        ? {}
        : {
            domainNames: [domain.domainName],
            certificate: domain.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: cloudfront.SSLMethod.SNI,
          }),
      // Edge locations in North America and Europe: the price class the cost estimate assumes (docs/cost.md).
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.acknowledgeChecks(domain);

    if (domain?.hostedZone !== undefined) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', domain.hostedZone);
      new route53.ARecord(this, 'AliasRecord', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution)),
      });
      new route53.AaaaRecord(this, 'AliasRecordIpv6', {
        zone,
        recordName: domain.domainName,
        target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution)),
      });
    }
    this.url =
      domain === undefined ? `https://${this.distribution.distributionDomainName}` : `https://${domain.domainName}`;
  }

  private acknowledgeChecks(domain: Domain | undefined): void {
    const distribution = this.distribution;
    acknowledgeControl(
      distribution,
      'cloudfront_default_root_object_configured_check',
      'The origin is an API, not a bucket: / is the OpenAPI documentation that the service itself answers.',
    );
    acknowledgeControl(
      distribution,
      'cloudfront_origin_failover_enabled_check',
      'One copy of the environment per region, one origin per distribution: a second origin would be a second ' +
        'region, which production adds as a wave with a distribution of its own (docs/architecture.md).',
    );
    const logs =
      'Standard logs need a bucket with ACLs enabled, which the account forbids (BucketOwnerEnforced everywhere). ' +
      'Every request that reaches the origin is in the load balancer access logs, and every request WAF judged ' +
      'is in the WAF logs; edge cache hits are counted in the CloudFront metrics.';
    acknowledgeControl(distribution, 'cloudfront_access_logs_enabled_check', logs);
    Validations.of(distribution).acknowledge({ id: 'AwsSolutions-CFR3', reason: logs });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'A public API, for clients in any country: no geographic restriction is wanted, and the web ACL at the ' +
        'edge already judges every request.',
    });
    if (domain !== undefined && Token.isUnresolved(domain.certificate.certificateArn)) {
      const why =
        'The certificate is our own, issued for domainName in the edge stack in us-east-1 and read here with ' +
        'Fn::GetStackOutput, a form of ARN the rule does not recognise; SNI and TLSv1.2_2021 are set.';
      for (const rule of ['cloudfront_custom_ssl_certificate_check', 'cloudfront_sni_enabled_check']) {
        acknowledgeControl(this.distribution, rule, why);
      }
    }
    if (domain === undefined) {
      const why =
        'No domain is configured: the distribution serves its *.cloudfront.net name with the default certificate, ' +
        'for which CloudFront fixes the policy. Setting domainName and a certificate in us-east-1 adds SNI, a ' +
        'custom certificate and TLSv1.2_2021 (docs/deploy.md).';
      for (const rule of [
        'cloudfront_custom_ssl_certificate_check',
        'cloudfront_sni_enabled_check',
        'cloudfront_security_policy_check',
      ]) {
        acknowledgeControl(distribution, rule, why);
      }
      Validations.of(distribution).acknowledge({ id: 'AwsSolutions-CFR4', reason: why });
    }
  }
}

/** Domain settings that passed validation. */
interface Domain {
  readonly domainName: string;
  readonly certificate: acm.ICertificate;
  readonly hostedZone?: HostedZoneAttributes;
}

/** undefined for the *.cloudfront.net name; throws on a combination that cannot serve HTTPS correctly. */
function parseDomain(path: string, props: EdgeDistributionProps): Domain | undefined {
  const { domainName, hostedZone, certificate } = props;
  if (domainName === undefined) {
    if (certificate !== undefined) {
      throw new Error(`${path}: a certificate needs domainName: clients must use a name the certificate covers`);
    }
    if (hostedZone !== undefined) throw new Error(`${path}: hostedZone needs domainName, the record to create in it`);
    return undefined;
  }
  if (certificate === undefined) {
    throw new Error(
      `${path}: domainName ${domainName} needs certificateArn, or hostedZone to issue a DNS-validated certificate in`,
    );
  }
  return { domainName, certificate, hostedZone };
}

/** Throws unless the name is a lower-case DNS name in the zone, and the certificate ARN is an ACM one in us-east-1. */
export function validateDomainSettings(
  path: string,
  settings: {
    readonly domainName?: string;
    readonly hostedZone?: HostedZoneAttributes;
    readonly certificateArn?: string;
  },
): void {
  const { domainName, hostedZone, certificateArn } = settings;
  if (domainName === undefined) {
    if (certificateArn !== undefined) {
      throw new Error(
        `${path}: certificateArn needs domainName: clients must use a name the certificate covers, ` +
          'and no certificate covers the *.cloudfront.net name',
      );
    }
    if (hostedZone !== undefined) throw new Error(`${path}: hostedZone needs domainName, the record to create in it`);
    return;
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName)) {
    throw new Error(`${path}: domainName ${JSON.stringify(domainName)} is not a lower-case DNS name`);
  }
  if (hostedZone !== undefined) {
    const zone = hostedZone.zoneName.replace(/\.$/, '');
    if (domainName !== zone && !domainName.endsWith(`.${zone}`)) {
      throw new Error(`${path}: domainName ${domainName} is not in the hosted zone ${zone}`);
    }
  }
  if (certificateArn === undefined) {
    if (hostedZone === undefined) {
      throw new Error(
        `${path}: domainName ${domainName} needs certificateArn, or hostedZone to issue a DNS-validated certificate in`,
      );
    }
    return;
  }
  const match = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/.exec(certificateArn);
  if (!match)
    throw new Error(`${path}: certificateArn ${JSON.stringify(certificateArn)} is not an ACM certificate ARN`);
  if (!Token.isUnresolved(certificateArn) && match[1] !== 'us-east-1') {
    throw new Error(
      `${path}: certificateArn is in ${String(match[1])}, but CloudFront reads certificates from us-east-1 only`,
    );
  }
}
