import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleTarget } from '../app.ts';

const response = await (await exampleTarget()).get('/openapi.json');
assert.equal(response.statusCode, 200);
const document: Record<string, any> = response.json();

test('GET /clock is documented from the same schemas that validate and serialise', () => {
  const operation = document.paths['/clock'].get;
  const parameter = operation.parameters.find((p: { name: string }) => p.name === 'mirror_time');
  assert.equal(parameter.in, 'query');
  assert.equal(parameter.required, true);
  assert.equal(parameter.schema.pattern, '^(0?[1-9]|1[0-2]):([0-5][0-9])(?::([0-5][0-9]))?$');
  assert.equal(parameter.example, '12:22');
  assert.equal(parameter.schema['x-expected'], 'HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)');

  const ok = operation.responses['200'].content;
  assert.deepEqual(ok['application/json'].schema.examples, [{ mirror_time: '12:22', actual_time: '11:38' }]);
  assert.deepEqual(Object.keys(ok['application/json'].schema.properties), ['mirror_time', 'actual_time']);
  assert.deepEqual(ok['text/plain'].schema.examples, ['11:38']);
});

test('the 400 answer is documented with its body', () => {
  const bad = document.paths['/clock'].get.responses['400'];
  assert.equal(bad.description, 'The query is missing, malformed or has unknown parameters.');
  assert.deepEqual(bad.content['application/json'].schema, { $ref: '#/components/schemas/ErrorBody' });
  assert.deepEqual(document.components.schemas.ErrorBody.required, ['statusCode', 'error', 'message']);
});

test('the example declares the tag its operations use', () => {
  assert.deepEqual(
    document.tags.map((tag: { name: string }) => tag.name),
    ['clock', 'operations'],
  );
});
