import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { allowListTasks, type ResilienceExperiment } from './resilience-experiment.ts';
import { promotionCheckRoleName } from '../names.ts';

export interface PromotionChecksProps {
  /** The account whose pipeline runs the load test and the experiment: the only one that may assume the role. */
  readonly pipelineAccount: string;
  /** The secret that exempts the load test from the rate rule: in the edge stack, in us-east-1, with the web ACL. */
  readonly loadTestTokenArn: string;
  readonly experiment: ResilienceExperiment;
  readonly service: ecs.FargateService;
}

/**
 * What the pipeline needs, from its own account, to check this environment before promoting it
 * (docs/decisions/load-test-exemption.md): a role that may read the token whose header exempts the load test from the
 * web ACL's per-IP rate rule (kept in the edge stack), start and watch the resilience experiment, and read the
 * service's counts, and nothing else.
 */
export class PromotionChecks extends Construct {
  /** The secret whose value the load test sends in LOAD_TEST_HEADER. */
  public readonly loadTestTokenArn: string;
  public readonly role: iam.Role;
  public readonly experiment: ResilienceExperiment;

  constructor(scope: Construct, id: string, props: PromotionChecksProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.experiment = props.experiment;
    this.loadTestTokenArn = props.loadTestTokenArn;

    this.role = new iam.Role(this, 'Role', {
      // Named: the pipeline, in another account, may assume this role and no other of the account.
      roleName: promotionCheckRoleName(stack.stackName),
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
      description: 'Assumed by the pipeline to run the load test and the resilience experiment before promotion',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.loadTestTokenArn] }),
    );
    const experiments = stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['fis:StartExperiment'],
        resources: [
          stack.formatArn({
            service: 'fis',
            resource: 'experiment-template',
            resourceName: props.experiment.template.attrId,
          }),
          experiments,
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['fis:GetExperiment'], resources: [experiments] }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [props.service.serviceArn] }),
    );
    // The runner tells a replacement task from the ones that ran before by their ARNs.
    allowListTasks(this.role, props.service.cluster);
    Validations.of(this.role).acknowledge({
      // cdk-nag names the finding by the ARN as rendered: the account is a token unless the stack names it.
      id: `AwsSolutions-IAM5[Resource::arn:aws:fis:${stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:experiment/*]`,
      reason:
        "An experiment's id is made when it starts: fis:StartExperiment needs the experiment resource besides the " +
        'template, and fis:GetExperiment reads the one it started. The template resource limits what may start.',
    });
  }
}
