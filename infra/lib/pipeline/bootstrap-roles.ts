/**
 * The roles `cdk bootstrap` makes in each account and region, and who in the pipeline may assume which: a project
 * that deploys to one account and region gets that place's roles and no other's (docs/ci-cd.md#least-privilege).
 */
import { Stack } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';

/** deploy: CloudFormation's; file-publishing: assets; lookup: read-only (the drift and rule checks). */
export type BootstrapRole = 'deploy' | 'file-publishing' | 'lookup';

/** Where stacks deploy. Undefined account: the account of the stack that asks (the one-account path). */
export interface Place {
  readonly account?: string;
  readonly region: string;
}

/** CDK's default bootstrap qualifier. */
export const DEFAULT_QUALIFIER = 'hnb659fds';

/** `arn:aws:iam::<account>:role/cdk-<qualifier>-<role>-role-<account>-<region>`, as `cdk bootstrap` names it. */
export function bootstrapRoleArn(scope: Stack, qualifier: string, role: BootstrapRole, place: Place): string {
  const account = place.account ?? scope.account;
  return `arn:${scope.partition}:iam::${account}:role/cdk-${qualifier}-${role}-role-${account}-${place.region}`;
}

/**
 * `cdk deploy` runs as the CodeBuild role and assumes the deploy role (CloudFormation) and the file-publishing role
 * (assets) of the place it deploys to; a project that checks drift first also assumes that place's lookup role.
 */
export function grantAssumeBootstrapRoles(
  project: codebuild.IProject,
  qualifier: string,
  place: Place,
  options: { readonly lookup: boolean },
): void {
  const stack = Stack.of(project);
  const roles: BootstrapRole[] = ['deploy', 'file-publishing'];
  project.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: roles.map((role) => bootstrapRoleArn(stack, qualifier, role, place)),
    }),
  );
  if (options.lookup) {
    project.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [bootstrapRoleArn(stack, qualifier, 'lookup', place)],
      }),
    );
  }
}
