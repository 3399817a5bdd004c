/**
 * `npm run execution-policy -- <cdk.out> <directory>`: the scoped policies for
 * `cdk bootstrap --cloudformation-execution-policies`, from the resource types of every template `cdk synth` wrote
 * to <cdk.out> (default cdk.out), as execution-policy-<n>.json files in <directory> (default the current one).
 * Synthesise with the context you deploy with first, so that the policy covers what you deploy
 * (docs/deploy.md#separate-accounts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executionPolicies } from '../infra/lib/bootstrap/execution-policy.ts';

const [cdkOut = 'cdk.out', directory = '.'] = process.argv.slice(2);
const templates = readdirSync(cdkOut).filter((file) => file.endsWith('.template.json'));
if (templates.length === 0) {
  console.error(`${cdkOut} holds no template: run npx cdk synth (with your -c options) first`);
  process.exit(1);
}
const types = templates.flatMap((file) =>
  Object.values(
    (JSON.parse(readFileSync(join(cdkOut, file), 'utf8')) as { Resources: Record<string, { Type: string }> }).Resources,
  ).map((resource) => resource.Type),
);
const policies = executionPolicies(types);
for (const [index, policy] of policies.entries()) {
  const file = join(directory, `execution-policy-${index + 1}.json`);
  writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`);
  console.log(`${file}: ${policy.Statement[0]?.Action.length ?? 0} actions`);
}
console.log(`${new Set(types).size} resource types in ${templates.length} templates`);
