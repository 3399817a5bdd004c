/**
 * `npm run cost`: the monthly cost of each environment before it is deployed, one line per billable item, from the
 * synthesised templates and the dated price table in infra/lib/cost/prices.ts. `npm run cost -- cdk.out` reads the
 * templates `cdk synth` wrote instead of synthesising here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import cdkJson from '../cdk.json' with { type: 'json' };
import packageJson from '../package.json' with { type: 'json' };
import { ASSUMPTIONS } from '../infra/lib/cost/assumptions.ts';
import { estimateEnvironment, type Estimate, type TemplateJson } from '../infra/lib/cost/estimate.ts';
import { PRICES, PRICES_DATE, PRICES_REGION } from '../infra/lib/cost/prices.ts';
import { addServiceStacks } from '../infra/lib/service-stacks.ts';
import { ENVIRONMENTS } from '../infra/lib/environments.ts';
import { environmentStackName, type EnvironmentPart } from '../infra/lib/names.ts';

function templates(
  cdkOut: string | undefined,
): Map<string, { edge: TemplateJson; network: TemplateJson; service: TemplateJson }> {
  const found = new Map<string, { edge: TemplateJson; network: TemplateJson; service: TemplateJson }>();
  if (cdkOut === undefined) {
    const app = new App({ context: cdkJson.context });
    const stacks = addServiceStacks(app, { imageTag: packageJson.version });
    const assembly = app.synth();
    for (const [name, { network, service, units }] of stacks.environments) {
      found.set(name, {
        edge: assembly.getStackByName(units[0]!.edge.stackName).template as TemplateJson,
        network: assembly.getStackByName(network.stackName).template as TemplateJson,
        service: assembly.getStackByName(service.stackName).template as TemplateJson,
      });
    }
    return found;
  }
  for (const { name, id } of ENVIRONMENTS) {
    const read = (part: EnvironmentPart) => {
      const file = join(cdkOut, `${environmentStackName(id, part)}.template.json`);
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx cdk synth\` first, or omit the folder`);
      return JSON.parse(readFileSync(file, 'utf8')) as TemplateJson;
    };
    found.set(name, { edge: read('Edge'), network: read('Network'), service: read('Service') });
  }
  return found;
}

function print(name: string, estimate: Estimate): void {
  const width = Math.max(...estimate.lines.map((l) => l.item.length));
  console.log(`\n${name}: USD per month, ${PRICES_REGION} list prices of ${PRICES_DATE}`);
  for (const { item, detail, usd } of estimate.lines) {
    console.log(`  ${item.padEnd(width)}  ${usd.toFixed(2).padStart(8)}  ${detail}`);
  }
  console.log(`  ${'total'.padEnd(width)}  ${estimate.totalUsd.toFixed(2).padStart(8)}`);
}

const [cdkOut] = process.argv.slice(2);
for (const [name, stacks] of templates(cdkOut)) print(name, estimateEnvironment(stacks));
console.log('\nAssumptions (infra/lib/cost/assumptions.ts):');
for (const [key, value] of Object.entries(ASSUMPTIONS)) console.log(`  ${key}: ${value}`);
console.log('\nPrices (infra/lib/cost/prices.ts):');
for (const price of Object.values(PRICES)) console.log(`  $${price.usd} per ${price.unit}  ${price.source}`);
