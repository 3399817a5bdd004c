import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { addChecks } from '../../infra/lib/checks.ts';
import { addServiceStacks, type ServiceStacksProps } from '../../infra/lib/service-stacks.ts';
import { STAGING, type EnvironmentSettings } from '../../infra/lib/environments.ts';

/** An app with cdk.json's context (the feature flags), as the CDK CLI would give it. */
export function newApp(): App {
  return new App({ context: cdkJson.context });
}

/** The app as infra/bin/app.ts builds it, with nag, the CloudFormation validator and the Control Tower controls on; `environments` replaces staging and production. */
export function buildServiceApp(props: Partial<ServiceStacksProps> = {}) {
  const app = newApp();
  const stacks = addServiceStacks(app, { imageTag: '1.2.3', ...props });
  addChecks(app);
  return { app, stacks };
}

export type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown };

/** Every resource of the given type in the template, with its logical id. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

/** The one resource of that type; fails the test if there is not exactly one. */
export function onlyResource(template: Template, type: string): Resource {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0]![1];
}

/** The acknowledgements recorded with Validations.of(construct).acknowledge(), as "path id". */
export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return found;
}

export const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0b3a1c6e-5f3e-4c59-9a5e-2f1d7c4e8a90';

/**
 * Staging, plain HTTP; with a hosted zone (a new certificate); with an existing certificate, DNS elsewhere,
 * and debug logging.
 */
export const VARIANTS: readonly EnvironmentSettings[] = [
  STAGING,
  {
    ...STAGING,
    name: 'zone',
    id: 'Zone',
    service: {
      ...STAGING.service,
      domainName: 'clock.example.com',
      hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
    },
  },
  {
    ...STAGING,
    name: 'arn',
    id: 'Arn',
    service: {
      ...STAGING.service,
      domainName: 'clock.example.org',
      certificateArn: CERTIFICATE_ARN,
      logLevel: 'debug',
    },
  },
];

/** The sample: staging and production in accounts of their own, production in two waves of one region. */
export const SAMPLE_CONTEXT = {
  toolsAccount: '333333333333',
  stagingAccount: '111111111111',
  productionAccount: '222222222222',
  productionRegions: 'eu-west-1,eu-central-1',
} as const;
