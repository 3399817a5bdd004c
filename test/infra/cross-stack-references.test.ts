/**
 * Strong cross-stack references (docs/decisions/cross-stack-references.md): every value a stack takes from another
 * is a CloudFormation export, so that CloudFormation refuses to delete or change what a running stack uses.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceApp } from './helpers.ts';
import { IDENTITY } from '../../src/identity.ts';

type TemplateJson = { Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }> };

const assembly = buildServiceApp().app.synth();
const templates = new Map(assembly.stacks.map((stack) => [stack.stackName, stack.template as TemplateJson]));
const text = (name: string) => JSON.stringify(templates.get(name));

/** Every export name that `stack` imports. */
const imports = (stack: string) => [...text(stack).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]!);

suite('cross-stack references are exports', () => {
  test('no stack reads another through Fn::GetStackOutput, but a service its edge stack in us-east-1', () => {
    for (const name of templates.keys()) {
      const read = [...text(name).matchAll(/"Fn::GetStackOutput":\{"StackName":"([^"]+)","Region":"([^"]+)"/g)];
      const expected = name.endsWith('-Service') ? [[name.replace(/-Service$/, '-Edge'), 'us-east-1']] : [];
      assert.deepEqual(
        [...new Set(read.map((m) => `${m[1]!} ${m[2]!}`))],
        expected.map((e) => e.join(' ')),
        name,
      );
    }
  });

  for (const environment of ['Staging', 'Production']) {
    test(`the ${environment.toLowerCase()} service imports its VPC, its two private subnets and the repository`, () => {
      const imported = imports(`${IDENTITY.id}-${environment}-Service`);
      const from = (stack: string) => new Set(imported.filter((name) => name.startsWith(`${stack}:`)));
      assert.equal(from(`${IDENTITY.id}-${environment}-Network`).size, 3);
      assert.equal(from(`${IDENTITY.id}-Registry`).size, 2);
      assert.equal(new Set(imported).size, 5);
    });
  }

  test('every import names an export of a stack in the app', () => {
    const exported = new Set(
      [...templates.values()].flatMap((t) => Object.values(t.Outputs ?? {}).flatMap((o) => o.Export?.Name ?? [])),
    );
    for (const name of templates.keys()) {
      for (const imported of imports(name)) assert.ok(exported.has(imported), `${name} imports ${imported}`);
    }
  });
});
