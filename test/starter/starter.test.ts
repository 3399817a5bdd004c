import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STARTER_CHECKS, STARTER_ROUTES } from '../../src/starter/plugin.ts';
import { verify } from '../../tools/post-deploy-checks.ts';
import { withApp } from '../helpers/app.ts';

const app = await withApp(undefined, { routes: STARTER_ROUTES });

test('GET /hello greets the name it is given', async () => {
  const response = await app.inject('/hello?name=Ada Lovelace');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { greeting: 'Hello, Ada Lovelace!' });
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
});

test('a name that is not one gets a 400 that says what is expected', async () => {
  const response = await app.inject('/hello?name=%3Cb%3E');
  assert.equal(response.statusCode, 400);
  assert.deepEqual(response.json(), {
    statusCode: 400,
    error: 'Bad Request',
    message: 'name "\\u003cb\\u003e" is not valid: expected a name of 1 to 40 letters, spaces or hyphens',
  });
});

test('the checks the rename puts in the identity pass against the starter', async () => {
  for (const check of STARTER_CHECKS) {
    const response = await app.inject(check.path);
    const answer = {
      status: response.statusCode,
      contentType: response.headers['content-type'] ?? '',
      text: response.body,
    };
    assert.equal(verify(check, answer), undefined, check.path);
  }
});

test('the starter is documented under its own tag', async () => {
  const document = (await app.inject('/openapi.json')).json<{
    paths: Record<string, unknown>;
    tags: { name: string }[];
  }>();
  assert.ok(document.paths['/hello']);
  assert.ok(document.tags.some((tag) => tag.name === 'hello'));
});
