/**
 * The load test the pipeline runs against an environment before promoting it (scripts/loadtest.ts): its bounds, with
 * a default and a cap each, and its thresholds. An environment's settings (environments.ts) name the run; the script
 * refuses anything above a cap, so neither a typo there nor on a command line can turn a test into an attack.
 */

export interface LoadBound {
  readonly default: number;
  readonly cap: number;
  readonly unit: string;
}

/** Whole numbers from 1 to the cap. */
export const LOAD_BOUNDS = {
  duration: { default: 30, cap: 900, unit: 'seconds' },
  rate: { default: 20, cap: 500, unit: 'requests a second' },
  connections: { default: 10, cap: 100, unit: 'connections' },
} as const satisfies Record<string, LoadBound>;

export type LoadBoundName = keyof typeof LOAD_BOUNDS;

export interface LoadThresholds {
  /** Errors (socket errors, timeouts, non-2xx answers) as a share of the requests, from 0 to 1. */
  readonly maxErrorRate: number;
  /** The 99th percentile of the latencies, in milliseconds, as the load generator measures them. */
  readonly maxP99Ms: number;
  /** The achieved rate as a share of the rate asked for, from 0 to 1: below it, the service could not keep up. */
  readonly minAchievedRateShare: number;
}

export interface LoadTestSettings extends LoadThresholds {
  /** Seconds of load: long enough to cover the resilience experiment and the service's recovery. */
  readonly durationSeconds: number;
  readonly ratePerSecond: number;
  readonly connections: number;
}

/** Throws, naming the setting, for a bound outside 1..cap or a threshold outside its range. */
export function validateLoadTest(where: string, settings: LoadTestSettings): void {
  const bounds: ReadonlyArray<[string, number, LoadBound]> = [
    ['durationSeconds', settings.durationSeconds, LOAD_BOUNDS.duration],
    ['ratePerSecond', settings.ratePerSecond, LOAD_BOUNDS.rate],
    ['connections', settings.connections, LOAD_BOUNDS.connections],
  ];
  for (const [name, value, bound] of bounds) {
    if (!Number.isInteger(value) || value < 1 || value > bound.cap) {
      throw new Error(`${where}: loadTest.${name} must be a whole number from 1 to ${bound.cap}, got ${value}`);
    }
  }
  for (const name of ['maxErrorRate', 'minAchievedRateShare'] as const) {
    if (!(settings[name] >= 0 && settings[name] <= 1)) {
      throw new Error(`${where}: loadTest.${name} must be a share from 0 to 1, got ${settings[name]}`);
    }
  }
  if (!(settings.maxP99Ms > 0))
    throw new Error(`${where}: loadTest.maxP99Ms must be above 0, got ${settings.maxP99Ms}`);
}

/**
 * The header that exempts the pipeline's load test from the web ACL's per-IP rate rule, and from nothing else
 * (docs/decisions/load-test-exemption.md). Its value is a secret: the script sends it from LOAD_TEST_TOKEN.
 */
export const LOAD_TEST_HEADER = 'x-load-test-token';

/** The resilience experiment that runs during the load test (service/resilience-experiment.ts). */
export interface ResilienceSettings {
  /** The share of the service's running tasks the experiment stops, 1-100. */
  readonly stopTaskPercent: number;
  /** Seconds into the load test when the experiment starts: the load has settled by then. */
  readonly startAfterSeconds: number;
  /** Seconds from the experiment's start within which the service must run its desired count again. */
  readonly recoverySeconds: number;
}

/** What the pipeline runs against an environment before it promotes the next: turned on by this one setting. */
export interface PromotionCheckSettings {
  readonly loadTest: LoadTestSettings;
  readonly resilience: ResilienceSettings;
}

/** Throws, naming the setting, for bounds out of range or a load test too short to cover the experiment. */
export function validatePromotionChecks(where: string, settings: PromotionCheckSettings): void {
  validateLoadTest(where, settings.loadTest);
  const { stopTaskPercent, startAfterSeconds, recoverySeconds } = settings.resilience;
  if (!Number.isInteger(stopTaskPercent) || stopTaskPercent < 1 || stopTaskPercent > 100) {
    throw new Error(
      `${where}: resilience.stopTaskPercent must be a whole number from 1 to 100, got ${stopTaskPercent}`,
    );
  }
  for (const [name, value] of [
    ['startAfterSeconds', startAfterSeconds],
    ['recoverySeconds', recoverySeconds],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${where}: resilience.${name} must be a whole number of seconds from 1, got ${value}`);
    }
  }
  if (settings.loadTest.durationSeconds < startAfterSeconds + recoverySeconds) {
    throw new Error(
      `${where}: loadTest.durationSeconds ${settings.loadTest.durationSeconds} is shorter than the experiment needs ` +
        `(starts at ${startAfterSeconds} s, ${recoverySeconds} s to recover): the load would stop before the service ` +
        'is back, and measure nothing of the recovery',
    );
  }
}
