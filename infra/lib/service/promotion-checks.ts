import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ResilienceExperiment } from './resilience-experiment.ts';
import { promotionCheckRoleName } from '../names.ts';

export interface PromotionChecksProps {
  /** The account whose pipeline runs the load test and the experiment: the only one that may assume the role. */
  readonly pipelineAccount: string;
  readonly experiment: ResilienceExperiment;
  readonly service: ecs.FargateService;
}

/**
 * What the pipeline needs, from its own account, to check this environment before promoting it
 * (docs/decisions/load-test-exemption.md): the token whose header exempts the load test from the web ACL's per-IP
 * rate rule, and a role that may read that token, start and watch the resilience experiment, and read the service's
 * counts, and nothing else.
 */
export class PromotionChecks extends Construct {
  /** The value the load test sends in LOAD_TEST_HEADER. */
  public readonly loadTestToken: secretsmanager.Secret;
  public readonly role: iam.Role;
  public readonly experiment: ResilienceExperiment;

  constructor(scope: Construct, id: string, props: PromotionChecksProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.experiment = props.experiment;
    this.loadTestToken = new secretsmanager.Secret(this, 'LoadTestToken', {
      description: 'Sent by the pipeline load test to pass the per-IP rate rule of the web ACL',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    Validations.of(this.loadTestToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The web ACL holds the value itself (a dynamic reference, resolved at deploy): a rotation would change it ' +
        'under the rule until the next deploy. Replacing the secret and redeploying rotates it; it exempts from the ' +
        'rate rule only, never from the managed rules.',
    });

    this.role = new iam.Role(this, 'Role', {
      // Named: the pipeline, in another account, may assume this role and no other of the account.
      roleName: promotionCheckRoleName(stack.stackName),
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
      description: 'Assumed by the pipeline to run the load test and the resilience experiment before promotion',
    });
    this.loadTestToken.grantRead(this.role);
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
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': props.service.cluster.clusterArn } },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs:ListTasks has no resource-level permission (its resource is *): the ecs:cluster condition limits it ' +
        "to this service's cluster.",
    });
    Validations.of(this.role).acknowledge({
      // cdk-nag names the finding by the ARN as rendered: the account is a token unless the stack names it.
      id: `AwsSolutions-IAM5[Resource::arn:aws:fis:${stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:experiment/*]`,
      reason:
        "An experiment's id is made when it starts: fis:StartExperiment needs the experiment resource besides the " +
        'template, and fis:GetExperiment reads the one it started. The template resource limits what may start.',
    });
  }
}
