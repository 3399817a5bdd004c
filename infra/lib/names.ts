/**
 * Every name the infrastructure gives, as one function of the identity (src/identity.ts), the environment and the
 * part: infra/bin/app.ts, the pipeline and the tests all call these, so a rename cannot leave one behind.
 */
import { IDENTITY } from '../../src/identity.ts';

/** What a stack holds: the registry and the pipeline serve every environment; each environment has the others. */
export type SharedPart = 'Registry' | 'Pipeline';
export type EnvironmentPart = 'Network' | 'Service';

/** `<id>-Registry`, `<id>-Pipeline`. */
export function sharedStackName(part: SharedPart): string {
  return `${IDENTITY.id}-${part}`;
}

/** `<id>-Staging-Network`, `<id>-Production-Service`: `environment` is its title-case id. */
export function environmentStackName(environment: string, part: EnvironmentPart): string {
  return `${IDENTITY.id}-${environment}-${part}`;
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
