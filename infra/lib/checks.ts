import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { CloudFormationValidatePlugin, Validations, type App, type ValidationRuleSource } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The AWS Control Tower proactive controls as CloudFormation Guard rules, one source per control
 * (ct-ecs-pr-7 ...), read from the pinned @cdklabs/cdk-validator-cfnguard package.
 */
export function controlTowerRules(): ValidationRuleSource[] {
  const packageJson = createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json');
  const directory = join(dirname(packageJson), 'rules', 'control-tower', 'cfn-guard');
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.guard'))
    .sort()
    .map((file) => ({ name: basename(file, '.guard'), content: readFileSync(join(directory, file), 'utf8') }));
}

let validator: CloudFormationValidatePlugin | undefined;

/**
 * cdk-nag's AWS Solutions pack, and AWS's CloudFormation validator with its built-in rules plus the Control
 * Tower controls, over the whole app: synthesis fails on a finding that is not acknowledged.
 */
export function addChecks(app: App): void {
  // One engine for every app in the process: compiling the Guard rules is the expensive part.
  validator ??= new CloudFormationValidatePlugin({ guardRules: controlTowerRules() });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), validator);
}

/** The id that acknowledges a Control Tower control (a Guard rule name, e.g. ecs_task_definition_memory_hard_limit_check). */
export const controlId = (rule: string) => `${CloudFormationValidatePlugin.PLUGIN_NAME.replaceAll(' ', '-')}::${rule}`;

/** Acknowledges one Control Tower control on one construct, as cdk-nag findings are. */
export function acknowledgeControl(construct: IConstruct, rule: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: controlId(rule), reason });
}
