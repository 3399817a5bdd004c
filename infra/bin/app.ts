#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy '<id>-Staging-*' -c imageTag=1.4.0`, where <id> is the identity's (src/identity.ts).
 * The only place that reads context.
 * Without -c imageTag it runs the version in package.json, the semver tag the pipeline pushes, so that
 * `npm run synth` works offline with no arguments. With -c imageDigest=sha256:<64 hex> every task names the image by
 * that digest, as the pipeline deploys it, and the tag becomes a label.
 */
import { App } from 'aws-cdk-lib';
import packageJson from '../../package.json' with { type: 'json' };
import { addChecks } from '../lib/checks.ts';
import { deploymentFromContext, type DeploymentContext } from '../lib/deployment.ts';
import { IDENTITY } from '../../src/identity.ts';
import { REGION } from '../lib/environments.ts';
import { sharedStackName, stackDescription } from '../lib/names.ts';
import { PipelineStack } from '../lib/pipeline-stack.ts';
import { addServiceStacks } from '../lib/service-stacks.ts';

const app = new App();
const imageTag = (app.node.tryGetContext('imageTag') as string | undefined) ?? packageJson.version;
const imageDigest = app.node.tryGetContext('imageDigest') as string | undefined;

// Where each environment runs (docs/deploy.md): accounts and production's waves of regions. CDK_DEFAULT_ACCOUNT is
// the credentials' account, which the CLI sets when it has credentials.
const deploymentContext: { -readonly [key in keyof DeploymentContext]: string } = {};
for (const key of ['toolsAccount', 'stagingAccount', 'productionAccount', 'productionRegions'] as const) {
  const value = app.node.tryGetContext(key) as string | number | undefined;
  if (value !== undefined) deploymentContext[key] = String(value);
}
const deployment = deploymentFromContext(deploymentContext, process.env.CDK_DEFAULT_ACCOUNT);
const stacks = addServiceStacks(app, { imageTag, imageDigest, ...deployment });

// The delivery pipeline exists once a CodeConnections connection is named (docs/ci-cd.md):
// npx cdk deploy <id>-Pipeline -c connectionArn=arn:aws:codeconnections:... -c githubOwner=<owner>
const pipelineContext: Record<string, string> = {};
for (const key of [
  'connectionArn',
  'githubOwner',
  'githubRepo',
  'githubBranch',
  'requireApproval',
  'notificationEmail',
  'approverRoleArn',
  ...Object.keys(deploymentContext),
]) {
  const value = app.node.tryGetContext(key) as string | boolean | undefined;
  if (value !== undefined) pipelineContext[key] = String(value);
}
// The tools account the credentials gave: the pipeline's own cdk commands must not depend on their credentials'.
if (deployment.toolsAccount !== undefined) pipelineContext.toolsAccount = deployment.toolsAccount;
const { connectionArn, githubOwner } = pipelineContext;
if (connectionArn !== undefined) {
  if (githubOwner === undefined) {
    throw new Error('-c connectionArn needs -c githubOwner=<the GitHub user or organisation that owns the repository>');
  }
  new PipelineStack(app, sharedStackName('Pipeline'), {
    env: { account: deployment.toolsAccount, region: REGION },
    description: stackDescription('the delivery pipeline from a push to production'),
    repository: stacks.registry.repository,
    registryStack: stacks.registry,
    signing: stacks.registry.signing,
    environments: [...stacks.environments.values()],
    connectionArn,
    owner: githubOwner,
    repo: pipelineContext.githubRepo ?? IDENTITY.githubRepo,
    branch: pipelineContext.githubBranch ?? 'main',
    requireApproval: pipelineContext.requireApproval !== 'false',
    notificationEmail: pipelineContext.notificationEmail,
    approverRoleArn: pipelineContext.approverRoleArn,
    // The pipeline's own cdk commands pass the same context, so its self-update rebuilds this very stack.
    cdkContext: pipelineContext,
  });
}
addChecks(app);

app.synth();
