import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from 'aws-cdk-lib/assertions';
import { STAGING } from '../../infra/lib/environments.ts';
import { buildServiceApp, resourcesOfType } from './helpers.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:clock/api-key-AbC123';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every identity-policy statement of the service stack, with the role it is attached to. */
function statements(secretsKeyArn?: string): { roles: string[]; statement: Statement }[] {
  const { stacks } = buildServiceApp({
    environments: [{ ...STAGING, service: { ...STAGING.service, secretArns: { API_KEY: SECRET_ARN }, secretsKeyArn } }],
  });
  const template = Template.fromStack(stacks.environments.get('staging')!.service);
  return resourcesOfType(template, 'AWS::IAM::Policy').flatMap(([, policy]) => {
    const properties = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: Statement[] };
    };
    return properties.PolicyDocument.Statement.map((statement) => ({
      roles: properties.Roles.map((role) => role.Ref),
      statement,
    }));
  });
}

/** KMS permissions on keys this stack does not create: the canary's own artifacts key is not a secrets key. */
const decrypts = (found: ReturnType<typeof statements>) =>
  found.filter(
    ({ statement }) =>
      [statement.Action].flat().some((action) => action.startsWith('kms:')) &&
      JSON.stringify(statement.Resource).match(/"Fn::GetAtt"/) === null,
  );

suite('secrets under a customer managed KMS key', () => {
  test('the execution role alone may decrypt with the key, and only through Secrets Manager', () => {
    const found = decrypts(statements(KEY_ARN));
    assert.equal(found.length, 1);
    const [{ roles, statement }] = found as [(typeof found)[number]];
    assert.equal(roles.length, 1);
    assert.match(roles[0]!, /^AppTaskDefinitionExecutionRole/);
    assert.deepEqual(statement, {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY_ARN,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  test('without a key, no role gets a KMS permission on a key outside the stack', () => {
    assert.deepEqual(decrypts(statements()), []);
  });
});
