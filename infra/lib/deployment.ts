/**
 * Where each environment runs, from CDK context: accounts and production's regions in waves. infra/bin/app.ts reads
 * the context and hands the strings here; everything is validated before a stack exists, so a typo stops synthesis
 * with a message that names the value and what was expected.
 */
import { ENVIRONMENTS, zonesOf, type EnvironmentSettings } from './environments.ts';

/** The context keys, as `-c key=value` gives them: strings, or absent. */
export interface DeploymentContext {
  /** The pipeline's and the registry's account. @default the account of the credentials (CDK_DEFAULT_ACCOUNT) */
  readonly toolsAccount?: string;
  /** @default the tools account */
  readonly stagingAccount?: string;
  /** @default the tools account */
  readonly productionAccount?: string;
  /**
   * Production's regions: waves separated by commas, regions of one wave joined by `+`.
   * `eu-west-1,eu-central-1` is two waves of one region; `eu-west-1+eu-west-2,us-east-1` two waves, the first of two.
   * @default the home region alone
   */
  readonly productionRegions?: string;
}

export interface Deployment {
  /** Undefined: the account of whatever credentials deploy, the same for every stack (the one-account path). */
  readonly toolsAccount?: string;
  /** Staging, then production, with their accounts and waves. */
  readonly environments: readonly EnvironmentSettings[];
}

const ACCOUNT_ID = /^\d{12}$/;

/** Throws unless `value` is 12 digits, naming the context key it came from. */
export function validateAccount(key: string, value: string): string {
  if (!ACCOUNT_ID.test(value)) {
    throw new Error(`-c ${key}="${value}" is not an AWS account id: expected 12 digits, such as 111111111111`);
  }
  return value;
}

/** `eu-west-1,eu-central-1+us-east-1` → [['eu-west-1'], ['eu-central-1', 'us-east-1']], every region known. */
export function parseWaves(key: string, value: string): string[][] {
  const waves = value.split(',').map((wave) => wave.split('+').map((region) => region.trim()));
  const regions = waves.flat();
  if (regions.some((region) => region === '')) {
    throw new Error(
      `-c ${key}="${value}" has an empty region: expected regions, waves separated by "," and regions of a wave joined by "+"`,
    );
  }
  for (const region of regions) {
    try {
      zonesOf(region);
    } catch (error) {
      throw new Error(`-c ${key}: ${(error as Error).message}`, { cause: error });
    }
  }
  const repeated = regions.find((region, index) => regions.indexOf(region) !== index);
  if (repeated !== undefined) {
    throw new Error(`-c ${key}="${value}" names ${repeated} twice: each region belongs to one wave`);
  }
  return waves;
}

/**
 * The environments the context asks for. With no context: staging and production in the home region of the
 * credentials' account, as before. A workload in an account of its own needs the tools account's id, because its
 * stacks pull the image from the tools account's registry by ARN.
 */
export function deploymentFromContext(context: DeploymentContext, credentialsAccount?: string): Deployment {
  const named = (key: 'toolsAccount' | 'stagingAccount' | 'productionAccount') => {
    const value = context[key];
    return value === undefined ? undefined : validateAccount(key, value);
  };
  const stagingAccount = named('stagingAccount');
  const productionAccount = named('productionAccount');
  // The credentials' account stands in for the tools account only when a workload has an account of its own: the
  // one-account path stays environment-agnostic, exactly as before.
  const separate = stagingAccount ?? productionAccount;
  const toolsAccount =
    named('toolsAccount') ??
    (separate === undefined || credentialsAccount === undefined
      ? undefined
      : validateAccount('toolsAccount', credentialsAccount));
  if (separate !== undefined && toolsAccount === undefined) {
    throw new Error(
      `a workload runs in account ${separate}, so its stacks need the id of the tools account that holds the ` +
        'image and the pipeline: expected -c toolsAccount=<12 digits>, or synth with credentials of that account',
    );
  }
  const [staging, production] = ENVIRONMENTS as [EnvironmentSettings, EnvironmentSettings];
  const environments: EnvironmentSettings[] = [
    { ...staging, account: stagingAccount ?? toolsAccount },
    {
      ...production,
      account: productionAccount ?? toolsAccount,
      waves:
        context.productionRegions === undefined
          ? production.waves
          : parseWaves('productionRegions', context.productionRegions),
    },
  ];
  return { toolsAccount, environments };
}
