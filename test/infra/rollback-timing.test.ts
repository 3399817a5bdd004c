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

/** CloudWatch accepts at most this many metrics and expressions (MetricDataQuery) in one alarm. */
const ALARM_METRIC_LIMIT = 10;

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

  test(`no alarm of any stack uses more than CloudWatch's ${ALARM_METRIC_LIMIT} metrics`, () => {
    let largest = 0;
    for (const stack of assembly.stacks) {
      for (const [id, alarm] of resourcesOfType(
        Template.fromJSON(stack.template as object),
        'AWS::CloudWatch::Alarm',
      )) {
        const count = (alarm.Properties as AlarmProperties).Metrics?.length ?? 1;
        assert.ok(count <= ALARM_METRIC_LIMIT, `${stack.stackName} ${id}: ${count} metrics`);
        largest = Math.max(largest, count);
      }
    }
    // The 5xx-rate alarm: 3 rates of 2 metrics each, and the expression that takes their maximum.
    assert.equal(largest, 10);
  });
});
