/**
 * What the rollback alarms of each environment's service do with the metrics a load balancer publishes, evaluated
 * from the synthesised template (metric-math.ts). ECS fails a deployment when one of its alarms fires, and a
 * rollback needs an earlier COMPLETED deployment: on a stack's first create there is none, so an alarm that can
 * fire before any task has registered fails the create.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS } from '../../infra/lib/environments.ts';
import { buildServiceApp, onlyResource, resourcesOfType } from './helpers.ts';
import { environmentStackName } from '../../infra/lib/names.ts';
import { alarmValue, breaches, evaluate, type AlarmProperties, type MetricValues } from './metric-math.ts';

const { app } = buildServiceApp();
const assembly = app.synth();

/** The alarms the service's DeploymentAlarms name, by logical id. */
function rollbackAlarms(stackName: string): [string, AlarmProperties][] {
  const template = Template.fromJSON(assembly.getStackByName(stackName).template as object);
  const service = onlyResource(template, 'AWS::ECS::Service').Properties!;
  const names = (service.DeploymentConfiguration as { Alarms: { AlarmNames: { Ref: string }[] } }).Alarms.AlarmNames;
  const alarms = new Map(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
  return names.map(({ Ref }) => {
    const alarm = alarms.get(Ref);
    assert.ok(alarm !== undefined, `${stackName}: rollback alarm ${Ref} is not in the stack`);
    return [Ref, alarm.Properties as unknown as AlarmProperties];
  });
}

const LOAD_BALANCER = ['LoadBalancer'];
const TARGET_GROUP = ['LoadBalancer', 'TargetGroup'];
const same = (a: readonly string[], b: readonly string[]) => a.join() === b.join();

/** A minute of load balancer metrics: each [name, dimensions] given a value, every other metric missing. */
function minute(values: [string, readonly string[], number | undefined][]): MetricValues {
  return ({ namespace, name, dimensions }) =>
    namespace === 'AWS/ApplicationELB' ? values.find(([n, d]) => n === name && same(d, dimensions))?.[2] : undefined;
}

/**
 * The minutes between the load balancer's creation and the first task's registration. The listener rule forwards
 * to target groups with no target, so every request gets an ELB 503; no target was chosen, so no target group
 * counts a request. The group's host counts are 0 or not published yet; the synthetic check's canary is created
 * only once the service is (ServiceStack), so it has no data. Whether the load balancer's RequestCount counts these
 * 503s is not documented either way: all the variants are tried.
 */
const BEFORE_ANY_TASK: Record<string, MetricValues> = {
  'scanners get 503s, counted as requests, host counts 0': minute([
    ['RequestCount', LOAD_BALANCER, 240],
    ['HTTPCode_ELB_5XX_Count', LOAD_BALANCER, 240],
    ['HealthyHostCount', TARGET_GROUP, 0],
    ['UnHealthyHostCount', TARGET_GROUP, 0],
  ]),
  'scanners get 503s, a few requests counted, host counts not published': minute([
    ['RequestCount', LOAD_BALANCER, 3],
    ['HTTPCode_ELB_5XX_Count', LOAD_BALANCER, 240],
  ]),
  'scanners get 503s, no request counted': minute([['HTTPCode_ELB_5XX_Count', LOAD_BALANCER, 240]]),
};

suite('no rollback alarm can fire before any task has registered', () => {
  for (const { name, id } of ENVIRONMENTS) {
    const alarms = rollbackAlarms(environmentStackName(id, 'Service'));
    test(`${name}: the 5xx-rate, unhealthy-target and synthetic-check alarms are all checked`, () => {
      assert.deepEqual(
        alarms.map(([logicalId]) => logicalId.replace(/[0-9A-F]{8}$/, '')),
        ['AlarmsServerErrorRate', 'AlarmsUnhealthyTargets', 'SyntheticCheckFailed'],
      );
    });
    for (const [scenario, values] of Object.entries(BEFORE_ANY_TASK)) {
      test(`${name}: ${scenario}`, () => {
        const firing = alarms
          .filter(([, alarm]) => breaches(alarm, values))
          .map(([logicalId, alarm]) => `${logicalId} = ${String(alarmValue(alarm, values))}`);
        assert.deepEqual(firing, []);
      });
    }
  }
});

suite('the 5xx-rate alarm still catches a bad canary once tasks serve', () => {
  const [, serverErrorRate] = rollbackAlarms(environmentStackName('Staging', 'Service'))[0]!;
  /** Healthy tasks in one group; the load balancer's own 5xx and the targets' 5xx as given. */
  const serving = (elb5xx: number, target5xx: number) =>
    minute([
      ['RequestCount', LOAD_BALANCER, 1000],
      ['HTTPCode_ELB_5XX_Count', LOAD_BALANCER, elb5xx],
      ['RequestCount', TARGET_GROUP, 1000],
      ['HTTPCode_Target_5XX_Count', TARGET_GROUP, target5xx],
      ['HealthyHostCount', TARGET_GROUP, 2],
      ['UnHealthyHostCount', TARGET_GROUP, 0],
    ]);

  test('502s from the load balancer (a revision that resets connections) above 5 % fire it', () => {
    assert.equal(alarmValue(serverErrorRate, serving(100, 0)), 10);
    assert.equal(breaches(serverErrorRate, serving(100, 0)), true);
  });

  test("the targets' own 5xx above 5 % fire it, and a healthy minute does not", () => {
    assert.equal(breaches(serverErrorRate, serving(0, 100)), true);
    assert.equal(breaches(serverErrorRate, serving(10, 10)), false);
  });
});

suite('the metric math evaluator', () => {
  const ids = (values: Record<string, number | undefined>) => (id: string) => values[id];
  test('follows precedence, FILL, IF and MAX over an array, and a missing value stays missing', () => {
    assert.equal(evaluate('100 * FILL(a, 0) / b', ids({ b: 50 })), 0);
    assert.equal(evaluate('100 * FILL(a, 0) / b', ids({ a: 5 })), undefined);
    assert.equal(evaluate('IF(a + b >= 1, c, 0)', ids({ a: 0, b: 1, c: 7 })), 7);
    assert.equal(evaluate('IF(a + b >= 1, c, 0)', ids({ a: 0, b: 0, c: 7 })), 0);
    assert.equal(evaluate('MAX([a, b, c])', ids({ a: 3, c: 9 })), 9);
    assert.equal(evaluate('MAX([a, b])', ids({})), undefined);
  });

  test('refuses a function it does not know rather than guess', () => {
    assert.throws(() => evaluate('RATE(a)', ids({ a: 1 })), /unsupported function RATE/);
  });
});
