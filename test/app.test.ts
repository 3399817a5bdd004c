import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { withApp } from './helpers/app.ts';
import { assertHeaderSet, type HeaderSet } from './helpers/header-sets.ts';
import { IDENTITY } from '../src/identity.ts';

const HEALTH = IDENTITY.healthPath;
const badRequest = (message: string) => ({ statusCode: 400, error: 'Bad Request', message });

/** The platform alone, and two routes of a service's that these tests register, as a service would. */
const app = await withApp();
app.get(
  '/checked',
  {
    schema: {
      querystring: Type.Object({ word: Type.String({ pattern: '^[a-z]+$' }) }, { additionalProperties: false }),
    },
  },
  async (request) => request.query,
);
app.get('/fast', { config: { ownHeaders: true } }, async () => ({ fast: true }));

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

suite('other routes', () => {
  test('an unknown path gets a JSON 404 naming it', async () => {
    const response = await get('/nope?x=1');
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), {
      statusCode: 404,
      error: 'Not Found',
      message: 'no route for GET "/nope": see /openapi.json for the API',
    });
  });

  test('a wrong method gets a JSON 404', async () => {
    const response = await app.inject({ method: 'POST', url: `${HEALTH}?x=1`, payload: { a: 1 } });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), {
      statusCode: 404,
      error: 'Not Found',
      message: `no route for POST "${HEALTH}": see /openapi.json for the API`,
    });
  });

  test('a path with malformed percent-encoding gets a JSON 400', async () => {
    const response = await get(`${HEALTH}%zz`);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(
      response.json(),
      badRequest(`'${HEALTH}%zz' is not a valid url component: expected a path with valid percent-encoding`),
    );
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });

  test('an unsatisfiable Range on a Swagger UI file gets a JSON 416', async () => {
    const response = await get('/static/index.css', { range: 'bytes=999999-' });
    assert.equal(response.statusCode, 416);
    assert.deepEqual(response.json(), {
      statusCode: 416,
      error: 'Range Not Satisfiable',
      message: 'Range Not Satisfiable',
    });
  });

  test('a path that climbs out of the static folder finds nothing', async () => {
    for (const url of ['/static/..%2f..%2fpackage.json', '/static/%2e%2e/%2e%2e/package.json']) {
      const response = await get(url);
      assert.equal(response.statusCode, 404, url);
      assert.doesNotMatch(response.body, /"version"/);
    }
  });

  test('GET on the health path is 200 while serving', async () => {
    const response = await get(HEALTH);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  test('Swagger UI is served at /', async () => {
    const response = await get('/');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    assert.match(response.body, /swagger-ui/);
  });

  test('Swagger UI expands every operation', async () => {
    const response = await get('/static/swagger-initializer.js');
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /"docExpansion":\s*"full"/);
  });
});

suite('HEAD', () => {
  for (const url of [HEALTH, '/', '/openapi.json', '/fast', '/checked?word=abc', '/checked?word=ABC']) {
    test(`HEAD ${url} answers like GET, without a body`, async () => {
      const [head, getResponse] = await Promise.all([app.inject({ method: 'HEAD', url }), get(url)]);
      assert.equal(head.statusCode, getResponse.statusCode);
      assert.equal(head.headers['content-type'], getResponse.headers['content-type']);
      assert.equal(head.body, '');
    });
  }
});

suite('headers on every response', () => {
  const cases: ReadonlyArray<{ url: string; set: HeaderSet; cacheable?: string[]; accept?: string }> = [
    // A route of the service's: the platform adds the API set, unasked.
    { url: '/checked?word=abc', set: 'api' },
    { url: '/checked?word=ABC', set: 'api' },
    // Swagger UI's catch-all route, which serves the files its document may refer to, claims every unknown path.
    { url: '/nope', set: 'page' },
    { url: HEALTH, set: 'api' },
    { url: `${HEALTH}%zz`, set: 'api' },
    { url: '/', set: 'page' },
    { url: '/openapi.json', set: 'page' },
  ];

  for (const { url, set, cacheable = [], accept } of cases) {
    test(`${url}${accept ? ` (Accept: ${accept})` : ''} carries exactly the ${set} set`, async () => {
      assertHeaderSet(await get(url, accept ? { accept } : {}), set, cacheable);
    });
  }

  test('answers that may not be cached say no-store', async () => {
    for (const url of ['/checked?word=abc', '/checked?word=ABC', '/nope', HEALTH, '/', '/openapi.json']) {
      assert.equal((await get(url)).headers['cache-control'], 'no-store', url);
    }
  });

  test('HSTS only when the load balancer received the request over HTTPS', async () => {
    for (const url of ['/checked?word=abc', '/nope', '/', HEALTH]) {
      const https = await get(url, { 'x-forwarded-proto': 'https' });
      assert.equal(https.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', url);
      const http = await get(url, { 'x-forwarded-proto': 'http' });
      assert.equal(http.headers['strict-transport-security'], undefined, url);
    }
  });

  test("the caller's request id is echoed when it is sane", async () => {
    const response = await get(HEALTH, { 'x-request-id': 'trace-42.abc:DEF_9' });
    assert.equal(response.headers['x-request-id'], 'trace-42.abc:DEF_9');
  });

  for (const [name, id] of [
    ['too long', 'a'.repeat(129)],
    ['with spaces', 'a b'],
    ['with a newline-like character', 'a\u2028b'],
    ['empty', ''],
  ] as const) {
    test(`a request id ${name} is replaced by a generated one`, async () => {
      const response = await get(HEALTH, { 'x-request-id': id });
      assert.match(response.headers['x-request-id'] as string, /^[A-Za-z0-9_-]{12}$/);
    });
  }

  test('a route that sets its own headers (config.ownHeaders) runs no hook for them: it gets only what it sets', async () => {
    const response = await get('/fast');
    assert.deepEqual(response.json(), { fast: true });
    assert.equal(response.headers['x-content-type-options'], undefined);
    assert.equal(response.headers['x-request-id'], undefined);
  });

  test('each request gets its own generated id', async () => {
    const [a, b] = await Promise.all([get(HEALTH), get(HEALTH)]);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  });
});
