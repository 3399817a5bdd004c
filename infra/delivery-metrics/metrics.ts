/**
 * The four delivery (DORA) metrics of one CodePipeline stage event, with no I/O: the Lambda function in handler.ts
 * hands it the event and two CodePipeline API calls, and writes what it returns to its log in CloudWatch's Embedded
 * Metric Format, from which CloudWatch makes the metrics (docs/decisions/delivery-metrics.md).
 */

/** The fields this uses of a "CodePipeline Stage Execution State Change" event. */
export interface StageEvent {
  readonly time: string;
  readonly detail: {
    readonly pipeline: string;
    readonly 'execution-id': string;
    readonly stage: string;
    readonly state: string;
  };
}

/** The stages that deploy production and smoke test it; a production deploy is done when `final` succeeds. */
export interface ProductionStages {
  readonly stages: readonly string[];
  readonly final: string;
}

/** One entry of ListActionExecutions (its fields as the SDK returns them, times as Date or ISO text). */
export interface ActionExecution {
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly status?: string;
  readonly lastUpdateTime?: Date | string;
  readonly output?: { readonly outputVariables?: Readonly<Record<string, string>> };
}

/** The CodePipeline API calls the metrics need, stubbed in tests. */
export interface PipelineHistory {
  /** GetPipelineExecution: a rollback's executionType is ROLLBACK; its trigger says whether a person started it. */
  execution(executionId: string): Promise<{ readonly executionType?: string; readonly triggerType?: string }>;
  /** ListActionExecutions, newest first: of one execution, or of the whole pipeline when no id is given. */
  actions(executionId?: string): AsyncIterable<ActionExecution>;
}

export type MetricName = 'Deployments' | 'FailedDeployments' | 'RolledBackDeployments' | 'LeadTime' | 'TimeToRestore';

export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly unit: 'Count' | 'Seconds';
}

/** The metrics' namespace in CloudWatch; the pipeline's name is their one dimension. */
export const NAMESPACE = 'DeliveryMetrics';

/** How far back time to restore looks for the failures since the last good production deploy. */
const HISTORY_LIMIT = 1000;

const time = (value: Date | string | undefined) => (value === undefined ? Number.NaN : new Date(value).getTime());
const seconds = (from: number, to: number) => Math.round((to - from) / 1000);

/**
 * The metric points of one stage event. A production stage that fails is a failed deployment; the final production
 * stage succeeding is a deployment, with its lead time (the commit's author date to now) and, after failures, its
 * time to restore (the first failure since the last good deploy to now). A rollback that a person started marks a
 * deployment that had succeeded as failed, and restores too. Other stages and states give nothing.
 */
export async function deliveryMetrics(
  event: StageEvent,
  production: ProductionStages,
  history: PipelineHistory,
): Promise<MetricPoint[]> {
  const { stage, state, 'execution-id': executionId } = event.detail;
  if (!production.stages.includes(stage)) return [];
  if (state === 'FAILED') return [{ name: 'FailedDeployments', value: 1, unit: 'Count' }];
  if (state !== 'SUCCEEDED') return [];

  const now = time(event.time);
  const execution = await history.execution(executionId);
  const points: MetricPoint[] = [];
  if (execution.executionType === 'ROLLBACK') {
    // An automated rollback follows a failure, already counted; a person rolls back a deploy that had succeeded.
    if (execution.triggerType === 'ManualRollback')
      points.push({ name: 'RolledBackDeployments', value: 1, unit: 'Count' });
  } else {
    if (stage !== production.final) return [];
    points.push({ name: 'Deployments', value: 1, unit: 'Count' });
    const leadTime = await commitLeadTime(executionId, now, history);
    if (leadTime !== undefined) points.push({ name: 'LeadTime', value: leadTime, unit: 'Seconds' });
  }
  const restore = await timeToRestore(executionId, now, production, history);
  if (restore !== undefined) points.push({ name: 'TimeToRestore', value: restore, unit: 'Seconds' });
  return points;
}

/** From the author date of the commit the Source action fetched (its AuthorDate variable) to now. */
async function commitLeadTime(executionId: string, now: number, history: PipelineHistory): Promise<number | undefined> {
  for await (const action of history.actions(executionId)) {
    const authorDate = action.output?.outputVariables?.AuthorDate;
    if (action.stageName === 'Source' && authorDate !== undefined) {
      const committed = time(authorDate);
      return Number.isNaN(committed) ? undefined : seconds(committed, now);
    }
  }
  return undefined;
}

/**
 * Walks the pipeline's actions back from now to the last good production deploy (an action of the final stage that
 * succeeded in another execution); the earliest production failure on the way is when the outage began.
 */
async function timeToRestore(
  executionId: string,
  now: number,
  production: ProductionStages,
  history: PipelineHistory,
): Promise<number | undefined> {
  let firstFailure: number | undefined;
  let read = 0;
  for await (const action of history.actions()) {
    if (++read > HISTORY_LIMIT) break;
    const updated = time(action.lastUpdateTime);
    // The event may arrive late: what happened after it is not its history.
    if (action.pipelineExecutionId === executionId || !(updated <= now)) continue;
    if (action.stageName === undefined || !production.stages.includes(action.stageName)) continue;
    if (action.status === 'Succeeded' && action.stageName === production.final) break;
    if (action.status === 'Failed') firstFailure = updated;
  }
  return firstFailure === undefined ? undefined : seconds(firstFailure, now);
}

/** One Embedded Metric Format log line: CloudWatch Logs turns it into the points, no PutMetricData call needed. */
export function embeddedMetrics(pipeline: string, timestamp: number, points: readonly MetricPoint[]): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: NAMESPACE,
          Dimensions: [['Pipeline']],
          Metrics: points.map(({ name, unit }) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    Pipeline: pipeline,
    ...Object.fromEntries(points.map(({ name, value }) => [name, value])),
  });
}
