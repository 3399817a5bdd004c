import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  paginateListActionExecutions,
} from '@aws-sdk/client-codepipeline';
import { deliveryMetrics, embeddedMetrics, type PipelineHistory, type StageEvent } from './metrics.ts';

/** The stages of the production deploy, set by infra/lib/pipeline/delivery-metrics.ts. */
const production = {
  stages: (process.env.PRODUCTION_STAGES ?? '').split(',').filter((stage) => stage !== ''),
  final: process.env.FINAL_STAGE ?? '',
};
const client = new CodePipelineClient({});

function history(pipelineName: string): PipelineHistory {
  return {
    async execution(pipelineExecutionId) {
      const { pipelineExecution } = await client.send(
        new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId }),
      );
      return { executionType: pipelineExecution?.executionType, triggerType: pipelineExecution?.trigger?.triggerType };
    },
    async *actions(pipelineExecutionId) {
      const pages = paginateListActionExecutions(
        { client, pageSize: 100 },
        { pipelineName, filter: pipelineExecutionId === undefined ? undefined : { pipelineExecutionId } },
      );
      for await (const page of pages) yield* page.actionExecutionDetails ?? [];
    },
  };
}

/** The EventBridge rule's target: one stage event in, at most one Embedded Metric Format line out. */
export async function handler(event: StageEvent): Promise<void> {
  const points = await deliveryMetrics(event, production, history(event.detail.pipeline));
  // Written straight to stdout: Lambda's console.log prefixes a line, and CloudWatch reads EMF only from bare JSON.
  if (points.length > 0)
    process.stdout.write(`${embeddedMetrics(event.detail.pipeline, Date.parse(event.time), points)}\n`);
}
