/**
 * Every name the infrastructure gives, as one function of the identity (src/identity.ts), the environment and the
 * part: infra/bin/app.ts, the pipeline and the tests all call these, so a rename cannot leave one behind.
 */
import { IDENTITY } from '../../src/identity.ts';
import { REGION } from './environments.ts';

/** What a stack holds: the registry and the pipeline serve every environment; each environment has the others. */
export type SharedPart = 'Registry' | 'Pipeline';
/** Edge: the copy's us-east-1 part (the CLOUDFRONT web ACL), named for the region of the copy it serves. */
export type EnvironmentPart = 'Network' | 'Service' | 'Edge';

/** `<id>-Registry`, `<id>-Pipeline`. */
export function sharedStackName(part: SharedPart): string {
  return `${IDENTITY.id}-${part}`;
}

/**
 * `<id>-Staging-Network`, `<id>-Production-Service`: `environment` is its title-case id. A stack in a region other
 * than the home region has the region's part too, `<id>-Production-EuCentral1-Service`: so the home region's stacks
 * keep their names when production adds a region, and a region added later renames nothing.
 */
export function environmentStackName(environment: string, part: EnvironmentPart, region: string = REGION): string {
  return region === REGION
    ? `${IDENTITY.id}-${environment}-${part}`
    : `${IDENTITY.id}-${environment}-${regionPart(region)}-${part}`;
}

/** `eu-central-1` → `EuCentral1`: a region as a stack name's part, and in stage and action names. */
export function regionPart(region: string): string {
  return region
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * The ECR repository's name, when it needs one: another account or region pulls the image by name (an account's
 * registry replicates it under the same name to every region), so CDK cannot generate it.
 */
export function repositoryName(): string {
  return IDENTITY.slug;
}

/** Where an environment's runtime configuration lives in SSM Parameter Store: `/<slug>/staging`. */
export function parameterPath(environmentName: string): string {
  return `/${IDENTITY.slug}/${environmentName}`;
}

/** A description of a stack, for people reading the CloudFormation console: `<name> staging: …`. */
export function stackDescription(what: string, environmentName?: string): string {
  return `${IDENTITY.name}${environmentName === undefined ? '' : ` ${environmentName}`}: ${what}`;
}

/** The tags on every resource of every stack, so that cost and ownership queries see them all. */
export const PROJECT_TAG = { key: 'Project', value: IDENTITY.slug } as const;

/**
 * The role the pipeline assumes, from the tools account, to run an environment's promotion checks: named, as
 * `cdk bootstrap` names its roles, so that the pipeline may assume exactly it. `<service stack>-PromotionChecks`.
 */
export function promotionCheckRoleName(serviceStackName: string): string {
  return `${serviceStackName}-PromotionChecks`;
}
