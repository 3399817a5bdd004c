/**
 * `npm run execution-policy` (scripts/execution-policy.ts): the policy documents from the templates in a cdk.out,
 * written as files for `aws iam create-policy`.
 */
import { suite, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCE_ACTIONS } from '../../infra/lib/bootstrap/execution-policy.ts';
import { ROOT } from '../../tools/root.ts';

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
const folder = () => {
  const made = mkdtempSync(join(tmpdir(), 'execution-policy-'));
  folders.push(made);
  return made;
};
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/execution-policy.ts', ...args], { cwd: ROOT, encoding: 'utf8' });

suite('npm run execution-policy', () => {
  test('writes the actions of every resource type in the templates, and only those', () => {
    const cdkOut = folder();
    const out = folder();
    const template = (types: string[]) =>
      JSON.stringify({ Resources: Object.fromEntries(types.map((type, index) => [`R${index}`, { Type: type }])) });
    writeFileSync(join(cdkOut, 'A.template.json'), template(['AWS::SNS::Topic', 'AWS::Logs::LogGroup']));
    writeFileSync(join(cdkOut, 'B.template.json'), template(['AWS::SNS::Topic']));
    const result = run(cdkOut, out);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /2 resource types in 2 templates/);
    assert.deepEqual(readdirSync(out), ['execution-policy-1.json']);
    const policy = JSON.parse(readFileSync(join(out, 'execution-policy-1.json'), 'utf8')) as {
      Statement: { Action: string[] }[];
    };
    const actions = policy.Statement[0]!.Action;
    for (const type of ['AWS::SNS::Topic', 'AWS::Logs::LogGroup']) {
      for (const action of RESOURCE_ACTIONS[type]!) assert.ok(actions.includes(action), action);
    }
    assert.ok(!actions.includes('ecs:CreateService'));
  });

  test('a cdk.out without templates fails, saying what to run', () => {
    const result = run(folder(), folder());
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /holds no template: run npx cdk synth/);
  });

  test('a template with a type the table lacks fails, naming the type', () => {
    const cdkOut = folder();
    writeFileSync(
      join(cdkOut, 'A.template.json'),
      JSON.stringify({ Resources: { R: { Type: 'AWS::RDS::DBCluster' } } }),
    );
    const result = run(cdkOut, folder());
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /covers no action for AWS::RDS::DBCluster/);
  });
});
