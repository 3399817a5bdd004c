/**
 * Judges the report `cdk drift --no-color` prints (toolkit-lib's DriftFormatter): does it show only the changes ECS
 * itself makes at every canary deployment? drift-check.sh runs this file with Node.js (types stripped), so it
 * imports nothing but Node's own modules.
 *
 * The report has a line "[~] <type> <construct path> <logical id>" per modified resource ("[-] ..." per deleted
 * one); each property difference under it as " ├─ [~] <property path>" (or " └─"), followed for a changed value by
 * "     ├─ [-] <template value>" and "     └─ [+] <deployed value>"; and it ends with
 * "Number of resources with drift: <n>" once every stack was checked.
 *
 * What ECS changes, from its blue/green documentation: it moves the forward weights of the production listener rule,
 * and the two target groups swap roles at every deployment, so the rule's list of groups and the service's
 * TargetGroupArn and AlternateTargetGroupArn may name the same two groups the other way round. A swap is let through
 * only when the deployed values are exactly the template's values in another order: a third group stops the run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PropertyChange {
  readonly path: string;
  /** The template's value and the deployed one, for a changed value; undefined for an added or removed one. */
  readonly expected?: string;
  readonly actual?: string;
}

export interface DriftedResource {
  /** The resource's line, e.g. "[~] AWS::ECS::Service App/Service AppService606B9134". */
  readonly line: string;
  readonly changes: PropertyChange[];
}

export interface DriftReport {
  /** The closing total, or undefined when the report does not end with one (a stack was not checked). */
  readonly total: number | undefined;
  readonly resources: DriftedResource[];
  /** `cdk drift` said it could not check a stack. */
  readonly failed: boolean;
}

export function parseDriftReport(text: string): DriftReport {
  const lines = text.split('\n');
  const total = lines.map((line) => /Number of resources with drift: (\d+)/.exec(line)).find(Boolean)?.[1];
  const resources: DriftedResource[] = [];
  let change: { path: string; expected?: string; actual?: string } | undefined;
  for (const line of lines) {
    const [, path] = /^ [├└]─ \[[~+-]\] (\S+)$/.exec(line) ?? [];
    const [, sign, value] = /^ {5}[├└]─ \[([+-])\] (.*)$/.exec(line) ?? [];
    const resource = resources.at(-1);
    if (/^\[[~-]\] \S+ /.test(line)) {
      resources.push({ line, changes: [] });
      change = undefined;
    } else if (path !== undefined && resource !== undefined) {
      change = { path };
      resource.changes.push(change);
    } else if (value !== undefined && change !== undefined) {
      if (sign === '-') change.expected = value;
      else change.actual = value;
    }
  }
  return {
    total: total === undefined ? undefined : Number(total),
    resources,
    failed: lines.some((line) => line.includes('Failed to check drift')),
  };
}

const WEIGHT = /^\/Actions\/\d+\/ForwardConfig\/TargetGroups\/\d+\/Weight$/;
const RULE_GROUP = /^\/Actions\/\d+\/ForwardConfig\/TargetGroups\/\d+\/TargetGroupArn$/;
const SERVICE_GROUP = /^\/LoadBalancers\/\d+\/(TargetGroupArn|AdvancedConfiguration\/AlternateTargetGroupArn)$/;

/** The changed values are the template's own values in another order: the two groups swapped, nothing new. */
function swapped(changes: readonly PropertyChange[]): boolean {
  const sorted = (values: (string | undefined)[]) => JSON.stringify([...values].sort());
  return (
    changes.every((change) => change.expected !== undefined && change.actual !== undefined) &&
    sorted(changes.map((change) => change.expected)) === sorted(changes.map((change) => change.actual))
  );
}

/** Whether this resource's drift is only what ECS does at a deployment. */
export function madeByEcs({ line, changes }: DriftedResource): boolean {
  if (changes.length === 0) return false;
  if (/^\[~\] AWS::ElasticLoadBalancingV2::ListenerRule LoadBalancer\/ProductionRule /.test(line)) {
    const groups = changes.filter((change) => RULE_GROUP.test(change.path));
    return changes.every((change) => WEIGHT.test(change.path) || RULE_GROUP.test(change.path)) && swappedOrNone(groups);
  }
  if (/^\[~\] AWS::ECS::Service /.test(line)) {
    return changes.every((change) => SERVICE_GROUP.test(change.path)) && swapped(changes);
  }
  return false;
}

const swappedOrNone = (changes: readonly PropertyChange[]) => changes.length === 0 || swapped(changes);

/**
 * Whether the deploy may go on: the report is complete (its total is the number of resources read, and no stack
 * failed to be checked) and every drifted resource is ECS's doing. Prints what it let through.
 */
export function onlyEcsDrift(report: DriftReport, log: (line: string) => void = console.log): boolean {
  if (report.total === undefined || report.total !== report.resources.length || report.failed) return false;
  if (!report.resources.every(madeByEcs)) return false;
  for (const resource of report.resources)
    log(`ignored, ECS makes these changes at every deployment: ${resource.line}`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: node drift-report.ts <cdk drift output>');
  process.exit(onlyEcsDrift(parseDriftReport(readFileSync(file, 'utf8'))) ? 0 : 1);
}
