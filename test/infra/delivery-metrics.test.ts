/**
 * The delivery (DORA) metrics: the rule that picks the pipeline's production stage events, the function's metric
 * logic on recorded events (fixtures/pipeline-events) with CodePipeline's answers stubbed, and the dashboard.
 */
import { mock, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { Match } from 'aws-cdk-lib/assertions';
import { ROOT } from '../../tools/root.ts';
import { bundleHandler } from '../../infra/delivery-metrics/bundle.ts';
import {
  deliveryMetrics,
  embeddedMetrics,
  type ActionExecution,
  type MetricPoint,
  type PipelineHistory,
  type StageEvent,
} from '../../infra/delivery-metrics/metrics.ts';
import { buildPipeline, resourcesOfType } from './pipeline-fixture.ts';

const FIXTURES = join(ROOT, 'test/infra/fixtures/pipeline-events');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as StageEvent;

interface ApiAnswers {
  readonly getPipelineExecution: Record<
    string,
    { pipelineExecution: { executionType: string; trigger: { triggerType: string } } }
  >;
  readonly listActionExecutions: readonly ActionExecution[];
}
const answers = JSON.parse(readFileSync(join(FIXTURES, 'api-answers.json'), 'utf8')) as ApiAnswers;

/** CodePipeline as recorded in api-answers.json; `calls` lists what was asked. */
function recordedHistory(calls: string[] = []): PipelineHistory {
  return {
    async execution(id) {
      calls.push(`GetPipelineExecution ${id}`);
      const answer = answers.getPipelineExecution[id];
      if (answer === undefined) throw new Error(`PipelineExecutionNotFoundException: ${id}`);
      return {
        executionType: answer.pipelineExecution.executionType,
        triggerType: answer.pipelineExecution.trigger.triggerType,
      };
    },
    async *actions(id) {
      calls.push(`ListActionExecutions ${id ?? 'all'}`);
      yield* answers.listActionExecutions.filter((action) => id === undefined || action.pipelineExecutionId === id);
    },
  };
}

const PRODUCTION = { stages: ['Deploy-Production', 'Smoke-Production'], final: 'Smoke-Production' };
const metrics = (name: string, history = recordedHistory()) => deliveryMetrics(fixture(name), PRODUCTION, history);
const point = (name: MetricPoint['name'], value: number): MetricPoint => ({
  name,
  value,
  unit: name === 'LeadTime' || name === 'TimeToRestore' ? 'Seconds' : 'Count',
});

/** EventBridge's matching, for the pattern's parts the rule uses: value lists, nested objects. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return expected.includes(actual);
    return (
      typeof actual === 'object' &&
      actual !== null &&
      matches(expected as Record<string, unknown>, actual as Record<string, unknown>)
    );
  });
}

const { template } = buildPipeline();

suite('delivery metrics: the rule and the function', () => {
  const [[pipelineId]] = resourcesOfType(template, 'AWS::CodePipeline::Pipeline') as [[string, unknown]];
  const key = resourcesOfType(template, 'AWS::KMS::Key')[0]![0];

  test("the rule picks the production stages' results of this pipeline, and only those of the recorded events", () => {
    const [[, rule]] = resourcesOfType(template, 'AWS::Events::Rule') as unknown as [
      [string, { Properties: Record<string, unknown> }],
    ];
    const pattern = rule.Properties.EventPattern as { detail: { pipeline: unknown[] } };
    assert.deepEqual(pattern, {
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Stage Execution State Change'],
      detail: {
        pipeline: [{ Ref: pipelineId }],
        stage: ['Deploy-Production', 'Smoke-Production'],
        state: ['SUCCEEDED', 'FAILED'],
      },
    });
    // The recorded events name their pipeline "Pipeline".
    const resolved = { ...pattern, detail: { ...pattern.detail, pipeline: ['Pipeline'] } };
    const picked = readdirSync(FIXTURES)
      .filter((file) => file !== 'api-answers.json')
      .filter((file) =>
        matches(resolved, JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>),
      );
    assert.deepEqual(picked.sort(), ['production-failed.json', 'production-succeeded.json', 'rollback-succeeded.json']);
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryMetricsFunction'), 'Arn'] } }),
      ],
    });
  });

  test('with several production waves, every wave is production and the last smoke test ends the deploy', () => {
    const { template: waves } = buildPipeline(
      {},
      'eu-west-1',
      ['Staging', 'Production'],
      [['eu-west-1'], ['eu-central-1']],
    );
    waves.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          stage: [
            'Deploy-Production-Wave1',
            'Smoke-Production-Wave1',
            'Deploy-Production-Wave2',
            'Smoke-Production-Wave2',
          ],
        }),
      }),
    });
    waves.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FINAL_STAGE: 'Smoke-Production-Wave2' }) },
    });
  });

  test('the function runs Node.js 24, logs to a log group of its own, encrypted with the pipeline key and kept a year', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Environment: {
        Variables: { PRODUCTION_STAGES: 'Deploy-Production,Smoke-Production', FINAL_STAGE: 'Smoke-Production' },
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('DeliveryMetricsLogs') } },
    });
    const [[, fn]] = resourcesOfType(template, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('DeliveryMetricsFunction'),
    ) as unknown as [[string, { Properties: { LoggingConfig: { LogGroup: { Ref: string } } } }]];
    const logGroup = (template.toJSON() as { Resources: Record<string, Record<string, unknown>> }).Resources[
      fn.Properties.LoggingConfig.LogGroup.Ref
    ]!;
    assert.deepEqual(
      [logGroup.Properties, logGroup.DeletionPolicy, logGroup.UpdateReplacePolicy],
      [{ KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] }, RetentionInDays: 365 }, 'Retain', 'Retain'],
    );
  });

  test("the function may read this pipeline's executions and write its own log, nothing else", () => {
    const policies = resourcesOfType(template, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('DeliveryMetrics'));
    assert.equal(policies.length, 1);
    const statements = (policies[0]![1].Properties!.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const actions = statements.flatMap((statement) => statement.Action as string | string[]).sort();
    assert.deepEqual(actions, [
      'codepipeline:GetPipelineExecution',
      'codepipeline:ListActionExecutions',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const pipelineStatement = statements.find((statement) => String(statement.Action).includes('codepipeline'));
    // This pipeline's ARN, and no wildcard.
    const resource = JSON.stringify(pipelineStatement!.Resource);
    assert.ok(resource.includes(':codepipeline:') && resource.includes(JSON.stringify({ Ref: pipelineId })), resource);
    assert.ok(!resource.includes('*'), resource);
    const roles = resourcesOfType(template, 'AWS::IAM::Role').filter(([id]) => id.startsWith('DeliveryMetricsRole'));
    assert.equal(roles.length, 1);
    assert.equal(roles[0]![1].Properties!.ManagedPolicyArns, undefined);
  });

  test('the bundle is the handler alone: the AWS SDK comes from the Lambda runtime', () => {
    const code = readFileSync(join(bundleHandler(), 'index.mjs'), 'utf8');
    assert.match(code, /from "@aws-sdk\/client-codepipeline"/);
    assert.match(code, /export\s*\{[^}]*handler/);
    assert.ok(code.length < 20_000, `${code.length} characters`);
  });
});

suite('delivery metrics: the recorded events', () => {
  test('a production deploy that succeeded: a deployment, its lead time from the commit, and the time to restore', async () => {
    const calls: string[] = [];
    assert.deepEqual(await metrics('production-succeeded', recordedHistory(calls)), [
      point('Deployments', 1),
      // Authored 12:50:00, in production 14:42:10.
      point('LeadTime', 6730),
      // Production first failed at 09:40:10 since the last good deploy (the day before), restored at 14:42:10;
      // the staging failure between does not count, nor the good deploy recorded after the event.
      point('TimeToRestore', 18120),
    ]);
    assert.deepEqual(calls, [
      'GetPipelineExecution 0b1e7c52-5d4f-4c1a-9f57-2a6d1f0e9b11',
      'ListActionExecutions 0b1e7c52-5d4f-4c1a-9f57-2a6d1f0e9b11',
      'ListActionExecutions all',
    ]);
  });

  test('a production deploy that failed: a failed deployment, with no API call', async () => {
    const calls: string[] = [];
    assert.deepEqual(await metrics('production-failed', recordedHistory(calls)), [point('FailedDeployments', 1)]);
    assert.deepEqual(calls, []);
  });

  test('a staging failure and a superseded execution give no metric', async () => {
    assert.deepEqual(await metrics('staging-failed'), []);
    assert.deepEqual(await metrics('superseded'), []);
  });

  test('a rollback a person started marks a deployment as failed, and is not itself a deployment', async () => {
    assert.deepEqual(await metrics('rollback-succeeded'), [point('RolledBackDeployments', 1)]);
  });

  test('a rollback CodePipeline started on a failure adds no failure: the failure was counted', async () => {
    const recorded = recordedHistory();
    const automated: PipelineHistory = {
      ...recorded,
      execution: async () => ({ executionType: 'ROLLBACK', triggerType: 'AutomatedRollback' }),
    };
    assert.deepEqual(await metrics('rollback-succeeded', automated), []);
  });

  test('a production stage before the last one succeeding is not yet a deployment', async () => {
    const event = fixture('production-succeeded');
    const early = { ...event, detail: { ...event.detail, stage: 'Deploy-Production' } };
    assert.deepEqual(await deliveryMetrics(early, PRODUCTION, recordedHistory()), []);
  });

  test('a first deploy, with no history and no commit date, is a deployment alone', async () => {
    const empty: PipelineHistory = {
      execution: async () => ({ executionType: 'STANDARD', triggerType: 'StartPipelineExecution' }),
      async *actions() {},
    };
    assert.deepEqual(await metrics('production-succeeded', empty), [point('Deployments', 1)]);
  });

  test('the metrics are one Embedded Metric Format line, dimensioned by the pipeline', () => {
    const line = embeddedMetrics('Pipeline', 1764773530000, [point('Deployments', 1), point('LeadTime', 6730)]);
    assert.deepEqual(JSON.parse(line), {
      _aws: {
        Timestamp: 1764773530000,
        CloudWatchMetrics: [
          {
            Namespace: 'DeliveryMetrics',
            Dimensions: [['Pipeline']],
            Metrics: [
              { Name: 'Deployments', Unit: 'Count' },
              { Name: 'LeadTime', Unit: 'Seconds' },
            ],
          },
        ],
      },
      Pipeline: 'Pipeline',
      Deployments: 1,
      LeadTime: 6730,
    });
  });
});

suite('delivery metrics: the dashboard', () => {
  test('shows the four metrics, the change failure rate by metric math', () => {
    const [[, dashboard]] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard') as unknown as [
      [string, { Properties: { DashboardBody: unknown } }],
    ];
    // The body is a Fn::Join of text and the pipeline's name: its text parts are what the widgets say.
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['Deployment frequency', 'Lead time for changes', 'Change failure rate', 'Time to restore']) {
      assert.ok(body.includes(title), title);
    }
    for (const metric of ['Deployments', 'FailedDeployments', 'RolledBackDeployments', 'LeadTime', 'TimeToRestore']) {
      assert.match(body, new RegExp(`\\\\"DeliveryMetrics\\\\",\\\\"${metric}\\\\"`), metric);
    }
    assert.ok(
      body.includes('100 * (FILL(failed, 0) + FILL(rolledBack, 0)) / (FILL(deployments, 0) + FILL(failed, 0))'),
    );
    template.hasOutput('DeliveryMetricsDashboard', {
      Value: { Ref: Match.stringLikeRegexp('DeliveryMetricsDashboard') },
    });
  });
});

suite('delivery metrics: the handler', () => {
  test('reads CodePipeline page by page and writes one EMF line for a production deploy', async (t) => {
    process.env.PRODUCTION_STAGES = PRODUCTION.stages.join(',');
    process.env.FINAL_STAGE = PRODUCTION.final;
    const sent: string[] = [];
    // CodePipeline as recorded, the action history in pages of four.
    mock.method(
      CodePipelineClient.prototype,
      'send',
      async (command: { constructor: { name: string }; input: any }) => {
        const { name } = command.constructor;
        sent.push(`${name} ${command.input.nextToken ?? ''}`.trim());
        if (name === 'GetPipelineExecutionCommand') {
          return answers.getPipelineExecution[command.input.pipelineExecutionId as string];
        }
        const id = command.input.filter?.pipelineExecutionId as string | undefined;
        const all = answers.listActionExecutions.filter(
          (action) => id === undefined || action.pipelineExecutionId === id,
        );
        const start = Number(command.input.nextToken ?? 0);
        const next = start + 4 < all.length ? String(start + 4) : undefined;
        return { actionExecutionDetails: all.slice(start, start + 4), nextToken: next };
      },
    );
    const written: string[] = [];
    mock.method(process.stdout, 'write', (text: string) => written.push(text) > 0);
    t.after(() => mock.restoreAll());
    const { handler } = await import('../../infra/delivery-metrics/handler.ts');

    await handler(fixture('production-succeeded'));
    await handler(fixture('staging-failed'));
    mock.restoreAll();

    assert.equal(written.length, 1);
    const line = JSON.parse(written[0]!) as Record<string, unknown>;
    assert.deepEqual(
      [line.Pipeline, line.Deployments, line.LeadTime, line.TimeToRestore],
      ['Pipeline', 1, 6730, 18120],
    );
    // The run's own actions to its Source action (two pages); the history back to the last good deploy, not past it
    // (three of its four pages). The staging failure asks nothing.
    assert.deepEqual(sent, [
      'GetPipelineExecutionCommand',
      'ListActionExecutionsCommand',
      'ListActionExecutionsCommand 4',
      'ListActionExecutionsCommand',
      'ListActionExecutionsCommand 4',
      'ListActionExecutionsCommand 8',
    ]);
  });
});
