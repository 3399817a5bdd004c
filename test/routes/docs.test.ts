import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { withApp } from '../helpers/app.ts';
import { IDENTITY } from '../../src/identity.ts';

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

test('the document names the service as its identity does', () => {
  assert.equal(document.info.title, IDENTITY.name);
  assert.equal(document.info.description, IDENTITY.description);
});

test('the health check is documented; the raw document route is not', () => {
  assert.ok(document.paths[IDENTITY.healthPath].get);
  assert.equal(document.paths['/openapi.json'], undefined);
});

test('the version is the package version', async () => {
  const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
  assert.equal(document.info.version, pkg.version);
});
