import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { EXPECTED } from '../src/errors.ts';
import { withApp } from './helpers/app.ts';

const badRequest = (message: string) => ({ statusCode: 400, error: 'Bad Request', message });

/** A route of a service's, registered here: the platform words every 400 from its query schema alone. */
const app = await withApp();
app.get(
  '/colour',
  {
    schema: {
      querystring: Type.Object(
        {
          name: Type.String({ pattern: '^[a-z]+$', maxLength: 20, [EXPECTED]: 'a colour in lower-case letters' }),
          code: Type.Optional(Type.String({ pattern: '^#[0-9a-f]{6}$' })),
          shade: Type.Optional(Type.Enum(['light', 'dark'])),
          count: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    },
  },
  async (request) => request.query,
);

suite('400 answers worded from the query schema', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    [
      'a missing parameter, with its x-expected',
      '/colour',
      'name is required: expected a colour in lower-case letters',
    ],
    [
      'a value its pattern refuses, with its x-expected',
      '/colour?name=Red',
      'name "Red" is not valid: expected a colour in lower-case letters',
    ],
    [
      'a value too long, with its x-expected',
      `/colour?name=${'a'.repeat(21)}`,
      `name "${'a'.repeat(21)}" is not valid: expected a colour in lower-case letters`,
    ],
    [
      'a value its pattern refuses, without x-expected: the pattern',
      '/colour?name=red&code=red',
      'code "red" is not valid: expected a value matching ^#[0-9a-f]{6}$',
    ],
    [
      'a value of the wrong type, without x-expected: the type',
      '/colour?name=red&count=x',
      'count "x" is not valid: expected an integer',
    ],
    [
      'a value not in the list',
      '/colour?name=red&shade=pale',
      'shade "pale" is not valid: expected one of light, dark',
    ],
    ['a repeated parameter', '/colour?name=red&name=blue', 'name was given 2 times: expected it once'],
    [
      'an unknown parameter',
      '/colour?name=red&size=2',
      'unknown query parameter "size": expected only name, code, shade, count',
    ],
    [
      "markup in the caller's value, escaped",
      '/colour?name=%3Cb%3E',
      'name "\\u003cb\\u003e" is not valid: expected a colour in lower-case letters',
    ],
  ];
  for (const [name, url, message] of cases) {
    test(name, async () => {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(response.json(), badRequest(message));
    });
  }

  test('a valid query reaches the handler', async () => {
    const response = await app.inject('/colour?name=red&shade=dark&count=2');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { name: 'red', shade: 'dark', count: 2 });
  });
});
