/**
 * Rollback timing as an invariant over every environment and every rollback alarm of the deployment, whatever
 * construct adds it: the canary bakes at least as long as the slowest rollback alarm needs to fire.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS } from '../../infra/lib/environments.ts';
import { METRIC_DELAY } from '../../infra/lib/service/service-alarms.ts';
import { buildServiceApp, onlyResource, resourcesOfType, type Resource } from './helpers.ts';
import { IDENTITY } from '../../src/identity.ts';
import { environmentStackName } from '../../infra/lib/names.ts';

/**
 * PutMetricAlarm takes at most 10 queries that retrieve a metric (MetricStat) and at most 10 that compute an
 * expression, 20 in all; CloudWatch's limit of 10 metrics counts only the first kind.
 */
const ALARM_METRIC_LIMIT = 10;
const ALARM_EXPRESSION_LIMIT = 10;

type MetricQuery = { Id: string; Expression?: string; Period?: number; MetricStat?: { Period: number } };
type AlarmProperties = { AlarmName?: string; EvaluationPeriods: number; Period?: number; Metrics?: MetricQuery[] };

/** Seconds an alarm looks back when it decides: its evaluation periods times its (longest) period. */
function evaluationWindow(alarm: AlarmProperties): number {
  const periods = [alarm.Period, ...(alarm.Metrics ?? []).map((m) => m.MetricStat?.Period ?? m.Period)];
  const period = Math.max(...periods.filter((p): p is number => p !== undefined));
  return alarm.EvaluationPeriods * period;
}

/** The alarm a DeploymentAlarms entry names: a Ref to an alarm of this stack, or a literal AlarmName. */
function findAlarm(alarms: [string, Resource][], name: unknown): AlarmProperties {
  const ref = (name as { Ref?: string }).Ref;
  const found = alarms.find(([id, alarm]) =>
    ref === undefined ? (alarm.Properties as AlarmProperties).AlarmName === name : id === ref,
  );
  assert.ok(found !== undefined, `rollback alarm ${JSON.stringify(name)} is not in the stack`);
  return found[1].Properties as AlarmProperties;
}

const { app } = buildServiceApp();
const assembly = app.synth();

suite('rollback timing', () => {
  for (const { name, id } of ENVIRONMENTS) {
    test(`${name}: the canary bakes for the slowest rollback alarm's window plus the metric delay`, () => {
      const template = Template.fromJSON(assembly.getStackByName(`${IDENTITY.id}-${id}-Service`).template as object);
      const configuration = (onlyResource(template, 'AWS::ECS::Service').Properties as Record<string, unknown>)
        .DeploymentConfiguration as {
        CanaryConfiguration: { CanaryBakeTimeInMinutes: number };
        Alarms: { Enable: boolean; Rollback: boolean; AlarmNames: unknown[] };
      };
      assert.equal(configuration.Alarms.Enable && configuration.Alarms.Rollback, true);
      const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
      const windows = configuration.Alarms.AlarmNames.map((alarm) => evaluationWindow(findAlarm(alarms, alarm)));
      assert.ok(windows.length >= 2, 'the 5xx-rate and unhealthy-target alarms at least');
      const needed = Math.max(...windows) + METRIC_DELAY.toSeconds();
      const bake = configuration.CanaryConfiguration.CanaryBakeTimeInMinutes * 60;
      assert.ok(bake >= needed, `${name}: canary bakes ${bake} s, the alarms need ${needed} s`);
    });
  }

  test(`no alarm of any stack uses more than CloudWatch's ${ALARM_METRIC_LIMIT} metrics or ${ALARM_EXPRESSION_LIMIT} expressions`, () => {
    const counts = new Map<string, { metrics: number; expressions: number }>();
    for (const stack of assembly.stacks) {
      for (const [id, alarm] of resourcesOfType(
        Template.fromJSON(stack.template as object),
        'AWS::CloudWatch::Alarm',
      )) {
        const queries = (alarm.Properties as AlarmProperties).Metrics;
        const metrics = queries === undefined ? 1 : queries.filter((query) => query.MetricStat !== undefined).length;
        const expressions = queries?.filter((query) => query.Expression !== undefined).length ?? 0;
        assert.ok(metrics <= ALARM_METRIC_LIMIT, `${stack.stackName} ${id}: ${metrics} metrics`);
        assert.ok(expressions <= ALARM_EXPRESSION_LIMIT, `${stack.stackName} ${id}: ${expressions} expressions`);
        counts.set(`${stack.stackName} ${id.replace(/[0-9A-F]{8}$/, '')}`, { metrics, expressions });
      }
    }
    // The 5xx-rate alarm: requests and 5xx of each target group and of the load balancer, and each group's healthy
    // hosts (8 metrics); a rate for each, the load balancer's gated on a healthy host, and their maximum (5).
    assert.deepEqual(counts.get(`${environmentStackName('Staging', 'Service')} AlarmsServerErrorRate`), {
      metrics: 8,
      expressions: 5,
    });
  });
});
