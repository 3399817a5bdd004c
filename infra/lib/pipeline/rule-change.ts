/**
 * Does a deploy change the production listener rule? Any change to it, in place or by replacement, makes
 * CloudFormation write the template's forward weights back: all traffic to the blue target group, which after an odd
 * number of ECS deployments holds no tasks (aws/aws-cdk#36649). rule-change-check.sh runs this file with Node.js
 * (types stripped) on the deployed template and the one about to be deployed, and stops the deploy on a change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fullDiff } from '@aws-cdk/cloudformation-diff';

type Template = { Resources?: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };

const RULE_TYPE = 'AWS::ElasticLoadBalancingV2::ListenerRule';
/** The rule PublicLoadBalancer creates as `ProductionRule`, by construct path or, without path metadata, by id. */
const isProductionRule = (logicalId: string, resource: { Type: string; Metadata?: Record<string, unknown> }) =>
  resource.Type === RULE_TYPE &&
  ((typeof resource.Metadata?.['aws:cdk:path'] === 'string' &&
    /\/LoadBalancer\/ProductionRule\/Resource$/.test(resource.Metadata['aws:cdk:path'])) ||
    /^LoadBalancerProductionRule[0-9A-F]{8}$/.test(logicalId));

const productionRules = (template: Template) =>
  Object.entries(template.Resources ?? {})
    .filter(([id, resource]) => isProductionRule(id, resource))
    .map(([id]) => id);

/** "<logical id> <impact>" for each change to the production rule; empty when the deploy leaves it alone. */
export function productionRuleChanges(deployed: Template, next: Template): string[] {
  const rules = new Set([...productionRules(deployed), ...productionRules(next)]);
  const changes: string[] = [];
  fullDiff(deployed, next).resources.forEachDifference((logicalId, change) => {
    if (rules.has(logicalId)) changes.push(`${logicalId} ${change.changeImpact}`);
  });
  return changes;
}

/** The template a cloud assembly holds for a stack, found by its name in manifest.json. */
export function assemblyTemplate(assemblyDir: string, stackName: string): Template {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const found = Object.entries(manifest.artifacts ?? {}).find(
    ([id, artifact]) =>
      artifact.type === 'aws:cloudformation:stack' && (artifact.properties?.stackName ?? id) === stackName,
  );
  const file = found?.[1].properties?.templateFile;
  if (file === undefined) throw new Error(`${assemblyDir} holds no template of the stack ${stackName}`);
  return JSON.parse(readFileSync(join(assemblyDir, file), 'utf8')) as Template;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [deployedFile, assemblyDir, stackName] = process.argv.slice(2);
  if (deployedFile === undefined || assemblyDir === undefined || stackName === undefined) {
    throw new Error('usage: node rule-change.ts <deployed template.json> <cloud assembly dir> <stack name>');
  }
  const deployed = JSON.parse(readFileSync(deployedFile, 'utf8')) as Template;
  const changes = productionRuleChanges(deployed, assemblyTemplate(assemblyDir, stackName));
  for (const change of changes) console.error(`${stackName}: the production listener rule changes: ${change}`);
  process.exit(changes.length === 0 ? 0 : 1);
}
