import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { withTarget } from '../helpers/target.ts';
import { IDENTITY } from '../../src/identity.ts';

const { get } = await withTarget();
const response = await get('/openapi.json');
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

interface Operation {
  readonly operationId?: string;
  readonly responses: Record<string, { readonly content?: unknown }>;
}

/** Every operation in the document, as [method and path, operation]. */
const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const),
);

test('every operation has an operationId of its own, which generated clients name their calls after', () => {
  const ids = operations.map(([, operation]) => operation.operationId);
  assert.ok(ids.length > 0);
  for (const [name, operation] of operations) assert.match(String(operation.operationId), /^[a-z][A-Za-z]+$/, name);
  assert.equal(new Set(ids).size, ids.length);
});

test('every error answer refers to the one ErrorBody schema', () => {
  for (const [name, operation] of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      assert.deepEqual(
        response.content,
        { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        `${name} ${status}`,
      );
    }
  }
});

test('the document names its server relative to where it is served, and needs no credentials', () => {
  assert.deepEqual(
    document.servers.map((server: { url: string }) => server.url),
    ['/'],
  );
  assert.deepEqual(document.security, []);
});

test('the health check is documented with its 400 and its 503 during shutdown; the raw document route is not', () => {
  const health = document.paths[IDENTITY.healthPath].get;
  assert.deepEqual(Object.keys(health.responses), ['200', '400', '503']);
  assert.match(health.responses['503'].description, /shutdown/i);
  assert.equal(document.paths['/openapi.json'], undefined);
});

test('GET /health with a query gets a 400 that says it takes none', async () => {
  const response = await get(`${IDENTITY.healthPath}?verbose=1`);
  assert.equal(response.statusCode, 400);
  assert.deepEqual(response.json(), {
    statusCode: 400,
    error: 'Bad Request',
    message: 'unknown query parameter "verbose": expected no query',
  });
});

test("Swagger UI's own document paths redirect for good to /openapi.json, its one URL", async () => {
  for (const path of ['/json', '/yaml']) {
    const response = await get(path);
    assert.equal(response.statusCode, 301, path);
    assert.equal(response.headers.location, '/openapi.json', path);
  }
});

test('the version is the package version', async () => {
  const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
  assert.equal(document.info.version, pkg.version);
});
