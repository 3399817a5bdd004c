/**
 * The pipeline's deploy stages as data, from the environments and their waves: one pair of stages (Deploy, Smoke)
 * per wave, an approval before each environment after the first, a bake between the waves of one environment.
 * pipeline-stack.ts turns each entry into stages; the names come from here, so the tests and docs read the same.
 */
import type { Stack } from 'aws-cdk-lib';
import type { PromotionCheckSettings } from '../load-test.ts';
import { REGION } from '../environments.ts';
import { regionPart } from '../names.ts';

/** One copy of an environment: its stacks in one account and region. */
export interface PipelineUnit {
  readonly region: string;
  /** Undefined: the pipeline's own account. */
  readonly account?: string;
  /** From 0; the units of one wave deploy in parallel. */
  readonly wave: number;
  /** Its us-east-1 stack (the edge web ACL): deployed first, by a project of that region's own. */
  readonly edge: Stack;
  /** Deployed together, `--exclusively`, in dependency order. */
  readonly network: Stack;
  /** Its `ServiceUrl` output is the URL the smoke test checks. */
  readonly service: Stack;
}

/** One environment as the pipeline deploys it: the app's own stacks, never names of the pipeline's making. */
export interface PipelineEnvironment {
  /**
   * Title case, for stage names (Deploy-Staging); lower case, for the image's deployed-<name> tag; the load test and
   * resilience experiment run before the next environment is promoted, when it has them.
   */
  readonly settings: {
    readonly id: string;
    readonly name: string;
    readonly promotionChecks?: PromotionCheckSettings;
  };
  /** Every region's copy, in wave order. */
  readonly units: readonly PipelineUnit[];
}

export interface WavePlan {
  readonly environment: PipelineEnvironment;
  /** From 0. */
  readonly wave: number;
  readonly units: readonly PipelineUnit[];
  /** `Deploy-Staging`; `Deploy-Production-Wave2` when the environment has several waves. */
  readonly deployStage: string;
  /** `Smoke-Staging`; `Smoke-Production-Wave2`. */
  readonly smokeStage: string;
  /** `Approve-Production`, before the first wave of each environment after the first, when approval is required. */
  readonly approvalStage?: string;
  /** The environment before, whose smoke-tested deploy the approval promotes. */
  readonly previous?: PipelineEnvironment;
  /** Another wave of this environment follows: it waits out a bake and smoke tests again first. */
  readonly bake: boolean;
  /** The environment's last wave: the image is tagged deployed-<name> after its smoke test. */
  readonly last: boolean;
  /**
   * `Verify-Staging`: after the last wave of an environment that another follows, its acceptance test, then its load
   * test with the resilience experiment, before the next environment's approval.
   */
  readonly verifyStage?: string;
}

/** The waves in the order the pipeline deploys them. */
export function planWaves(environments: readonly PipelineEnvironment[], requireApproval: boolean): WavePlan[] {
  return environments.flatMap((environment, index) => {
    const waves = [...new Set(environment.units.map((unit) => unit.wave))].sort((a, b) => a - b);
    if (waves.length === 0) throw new Error(`${environment.settings.name} has no unit to deploy`);
    const previous = environments[index - 1];
    return waves.map((wave, position): WavePlan => {
      const suffix = waves.length === 1 ? '' : `-Wave${position + 1}`;
      return {
        environment,
        wave,
        units: environment.units.filter((unit) => unit.wave === wave),
        deployStage: `Deploy-${environment.settings.id}${suffix}`,
        smokeStage: `Smoke-${environment.settings.id}${suffix}`,
        approvalStage:
          position === 0 && previous !== undefined && requireApproval
            ? `Approve-${environment.settings.id}`
            : undefined,
        previous: position === 0 ? previous : undefined,
        bake: position < waves.length - 1,
        last: position === waves.length - 1,
        verifyStage:
          position === waves.length - 1 && environments[index + 1] !== undefined
            ? `Verify-${environment.settings.id}`
            : undefined,
      };
    });
  });
}

/**
 * A unit's names in the pipeline: its project and variables namespace `DeployProduction`, its actions `Deploy` and
 * `Smoke`, and `Deploy-Edge` for its us-east-1 stack; outside the home region with the region's part,
 * `DeployProductionEuCentral1`, `Deploy-EuCentral1`, `Deploy-EuCentral1-Edge`.
 */
export function unitNames(environmentId: string, region: string) {
  const home = region === REGION;
  const part = home ? '' : regionPart(region);
  return {
    project: `Deploy${environmentId}${part}`,
    namespace: `Deploy${environmentId}${part}`,
    edgeProject: `Deploy${environmentId}${part}Edge`,
    edgeAction: home ? 'Deploy-Edge' : `Deploy-${part}-Edge`,
    deployAction: home ? 'Deploy' : `Deploy-${part}`,
    smokeAction: home ? 'Smoke' : `Smoke-${part}`,
    acceptanceAction: home ? 'Acceptance' : `Acceptance-${part}`,
    loadTestAction: home ? 'LoadTest' : `LoadTest-${part}`,
    resilienceAction: home ? 'Resilience' : `Resilience-${part}`,
  };
}
