import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { withApp } from '../helpers/app.ts';

const app = await withApp();
const response = await app.inject({ url: '/openapi.json' });
assert.equal(response.statusCode, 200);
const document: Record<string, any> = response.json();

test('the document at /openapi.json is valid OpenAPI 3.1', async () => {
  assert.equal(document.openapi, '3.1.0');
  const result = await new Validator().validate(document);
  assert.deepEqual(result.errors ?? [], []);
  assert.equal(result.valid, true);
});

test('GET /clock is documented from the same schemas that validate and serialise', () => {
  const operation = document.paths['/clock'].get;
  const parameter = operation.parameters.find((p: { name: string }) => p.name === 'mirror_time');
  assert.equal(parameter.in, 'query');
  assert.equal(parameter.required, true);
  assert.equal(parameter.schema.pattern, '^(0?[1-9]|1[0-2]):([0-5][0-9])(?::([0-5][0-9]))?$');
  assert.equal(parameter.example, '12:22');

  const ok = operation.responses['200'].content;
  assert.deepEqual(ok['application/json'].schema.examples, [{ mirror_time: '12:22', actual_time: '11:38' }]);
  assert.deepEqual(Object.keys(ok['application/json'].schema.properties), ['mirror_time', 'actual_time']);
  assert.deepEqual(ok['text/plain'].schema.examples, ['11:38']);
});

test('the 400 answer is documented with its body', () => {
  const bad = document.paths['/clock'].get.responses['400'];
  assert.equal(bad.description, 'The query is missing, malformed or has unknown parameters.');
  const schema = bad.content['application/json'].schema;
  assert.deepEqual(schema.required, ['statusCode', 'error', 'message']);
  assert.match(schema.properties.message.examples[0], /^mirror_time "13:20" is not a valid time/);
});

test('the health check is documented; the raw document route is not', () => {
  assert.ok(document.paths['/health'].get);
  assert.equal(document.paths['/openapi.json'], undefined);
});

test('the version is the package version', async () => {
  const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
  assert.equal(document.info.version, pkg.version);
});
