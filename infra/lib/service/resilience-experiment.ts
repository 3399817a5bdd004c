import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface ResilienceExperimentProps {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.FargateService;
  /** Any of them in ALARM stops the experiment: the service's rollback alarms. */
  readonly stopConditions: readonly cloudwatch.IAlarm[];
  /** The share of the service's running tasks that the experiment stops, 1-100. @default 50 */
  readonly stopTaskPercent?: number;
}

/**
 * An AWS FIS experiment template that stops a share of the service's running tasks, as a failed host or a crash
 * would, while the pipeline's load test runs (docs/reliability.md). The service's rollback alarms stop it. Its role
 * may list, describe and stop this cluster's tasks, and nothing else.
 */
export class ResilienceExperiment extends Construct {
  public readonly template: fis.CfnExperimentTemplate;
  public readonly role: iam.Role;
  public readonly stopTaskPercent: number;

  constructor(scope: Construct, id: string, props: ResilienceExperimentProps) {
    super(scope, id);
    this.stopTaskPercent = props.stopTaskPercent ?? 50;
    if (!Number.isInteger(this.stopTaskPercent) || this.stopTaskPercent < 1 || this.stopTaskPercent > 100) {
      throw new Error(
        `${this.node.path}: stopTaskPercent must be a whole number from 1 to 100, got ${this.stopTaskPercent}`,
      );
    }
    if (props.stopConditions.length === 0) {
      throw new Error(`${this.node.path}: stopConditions is empty: an experiment nothing can stop may not run`);
    }
    const stack = Stack.of(this);
    const clusterCondition = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Stops a share of one ECS service tasks for its resilience experiment',
    });
    // FIS resolves the target by listing the service's tasks, then stops the share it picked.
    allowListTasks(this.role, props.cluster);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [
          stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*` }),
        ],
        conditions: clusterCondition,
      }),
    );
    Validations.of(this.role).acknowledge({
      // cdk-nag names the finding by the ARN as rendered: the account is a token unless the stack names it.
      id: `AwsSolutions-IAM5[Resource::arn:aws:ecs:${stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:task/<${stack.getLogicalId(props.cluster.node.defaultChild as ecs.CfnCluster)}>/*]`,
      reason:
        "A task's ARN carries an id ECS makes when it starts the task: the experiment's tasks are only known as " +
        "this cluster's tasks, which the resource and the ecs:cluster condition say.",
    });

    this.template = new fis.CfnExperimentTemplate(this, 'Template', {
      description: `Stops ${this.stopTaskPercent} % of the service's running tasks`,
      roleArn: this.role.roleArn,
      stopConditions: props.stopConditions.map((alarm) => ({ source: 'aws:cloudwatch:alarm', value: alarm.alarmArn })),
      targets: {
        ServiceTasks: {
          resourceType: 'aws:ecs:task',
          selectionMode: `PERCENT(${this.stopTaskPercent})`,
          parameters: { cluster: props.cluster.clusterName, service: props.service.serviceName },
        },
      },
      actions: {
        StopTasks: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'ServiceTasks' } },
      },
      tags: { Name: `${stack.stackName}-stop-tasks` },
    });
  }
}

/**
 * Lets the role list one cluster's tasks. ecs:ListTasks has no resource-level permission, so the statement names `*`
 * and the ecs:cluster condition does the limiting: acknowledged here, once for each role that needs it.
 */
export function allowListTasks(role: iam.Role, cluster: ecs.ICluster): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecs:ListTasks'],
      resources: ['*'],
      conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecs:ListTasks has no resource-level permission (its resource is *): the ecs:cluster condition limits it ' +
      "to this service's cluster.",
  });
}
