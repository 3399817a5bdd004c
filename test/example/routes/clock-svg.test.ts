import { before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { exampleTarget } from '../app.ts';
import { PAGE_HEADERS } from '../../../src/headers.ts';
import { angleBetween, drawnHands, isWellFormedXml } from '../clock-geometry.ts';

const { get } = await exampleTarget();

suite('GET /clock.svg', () => {
  test('draws the clock as SVG: well-formed, with its hands at the right angles', async () => {
    const response = await get('/clock.svg?time=12:22');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/svg+xml; charset=utf-8');
    assert.ok(isWellFormedXml(response.body));
    // The default view is the clock seen straight on: hour hand at 11°, minute hand at 132°.
    const hands = drawnHands(response.body);
    assert.ok(angleBetween(hands.hour, 11) < 0.05, `hour hand at ${hands.hour}°`);
    assert.ok(angleBetween(hands.minute, 132) < 0.05, `minute hand at ${hands.minute}°`);
  });

  test('view=mirror draws the same hands as view=actual of the mirrored time', async () => {
    const mirrored = drawnHands((await get('/clock.svg?time=11:38:10&view=mirror')).body);
    const actual = drawnHands((await get('/clock.svg?time=12:21:50&view=actual')).body);
    for (const hand of ['hour', 'minute', 'second'] as const) {
      assert.ok(angleBetween(mirrored[hand] ?? NaN, actual[hand] ?? NaN) < 0.05, hand);
    }
  });

  test('is small: no embedded fonts or images', async () => {
    const response = await get('/clock.svg?time=12:22:30&view=mirror');
    assert.ok(Number(response.headers['content-length']) < 4096);
    assert.doesNotMatch(response.body, /<image|@font-face|data:/);
  });

  test('keeps the security headers of every answer', async () => {
    const response = await get('/clock.svg?time=12:22');
    for (const [name, value] of Object.entries(PAGE_HEADERS)) assert.equal(response.headers[name], value, name);
  });
});

suite('GET /clock.svg: caching', () => {
  test('carries a strong ETag and a week of Cache-Control', async () => {
    const response = await get('/clock.svg?time=12:22');
    assert.match(String(response.headers.etag), /^"[A-Za-z0-9_-]{22}"$/);
    assert.equal(response.headers['cache-control'], 'max-age=604800');
  });

  test('a matching If-None-Match gets 304 with no body, and the same validators', async () => {
    const first = await get('/clock.svg?time=12:22&view=mirror');
    const etag = String(first.headers.etag);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await get('/clock.svg?time=12:22&view=mirror', { 'if-none-match': ifNoneMatch });
      assert.equal(again.statusCode, 304, ifNoneMatch);
      assert.equal(again.body, '');
      assert.equal(again.headers['content-type'], undefined);
      assert.equal(again.headers.etag, etag);
      assert.equal(again.headers['cache-control'], 'max-age=604800');
    }
  });

  test('a stale ETag gets the picture again', async () => {
    const actual = await get('/clock.svg?time=12:22&view=actual');
    const mirrored = await get('/clock.svg?time=12:22&view=mirror', {
      'if-none-match': String(actual.headers.etag),
    });
    assert.equal(mirrored.statusCode, 200);
    assert.notEqual(mirrored.headers.etag, actual.headers.etag);
    assert.ok(isWellFormedXml(mirrored.body));
  });

  test('the tag names the picture, not the spelling of the query', async () => {
    const short = await get('/clock.svg?time=1:05');
    const long = await get('/clock.svg?view=actual&time=01:05');
    assert.equal(short.body, long.body);
    assert.equal(short.headers.etag, long.headers.etag);
    assert.notEqual(short.headers.etag, (await get('/clock.svg?time=1:06')).headers.etag);
  });
});

suite('GET /clock.svg: bad requests', () => {
  const badValues = ['13:20', '12:60', '0:00', '', '12:22 ', '١٢:٢٢', '<b>', 'x'.repeat(100)];
  for (const value of badValues) {
    test(`time=${JSON.stringify(value).slice(0, 20)} gets the same 400 as /clock`, async () => {
      const query = encodeURIComponent(value);
      const svg = await get(`/clock.svg?time=${query}`);
      const clock = await get(`/clock?mirror_time=${query}`);
      assert.equal(svg.statusCode, 400);
      assert.equal(svg.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(clock.statusCode, 400);
      const expected = clock.json<{ message: string }>();
      assert.deepEqual(svg.json(), { ...expected, message: expected.message.replace(/^mirror_time /, 'time ') });
      assert.match(expected.message, /^mirror_time /);
    });
  }

  test('a missing time gets the same 400 as /clock', async () => {
    const expected = (await get('/clock')).json<{ message: string }>();
    const svg = await get('/clock.svg?view=mirror');
    assert.equal(svg.statusCode, 400);
    assert.deepEqual(svg.json(), { ...expected, message: expected.message.replace(/^mirror_time /, 'time ') });
  });

  test('a time given twice gets the same 400 as /clock', async () => {
    const expected = (await get('/clock?mirror_time=1:00&mirror_time=2:00')).json<{ message: string }>();
    const svg = await get('/clock.svg?time=1:00&time=2:00');
    assert.equal(svg.statusCode, 400);
    assert.deepEqual(svg.json(), { ...expected, message: expected.message.replace(/^mirror_time /, 'time ') });
  });

  test('an unknown view names the views there are', async () => {
    const response = await get('/clock.svg?time=12:22&view=flipped');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'view "flipped" is not valid: expected one of actual, mirror',
    });
  });

  test('an unknown parameter names the parameters there are', async () => {
    const response = await get('/clock.svg?time=12:22&mirror_time=12:22');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'unknown query parameter "mirror_time": expected only time, view',
    });
  });
});

suite('GET /clock.svg in the OpenAPI document', () => {
  let document: Record<string, any>;
  before(async () => {
    document = (await get('/openapi.json')).json();
  });

  test('the document, with the new operation, is still valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(document);
    assert.deepEqual(result.errors ?? [], []);
  });

  test('describes the operation, its parameters and its answers', () => {
    const operation = document.paths['/clock.svg'].get;
    assert.deepEqual(operation.tags, ['clock']);
    assert.match(operation.summary, /clock face/);
    assert.match(operation.description, /flipped left to right/);

    const [time, view] = operation.parameters;
    assert.deepEqual(
      { name: time.name, in: time.in, required: time.required, pattern: time.schema.pattern },
      { name: 'time', in: 'query', required: true, pattern: '^(0?[1-9]|1[0-2]):([0-5][0-9])(?::([0-5][0-9]))?$' },
    );
    assert.deepEqual(
      { name: view.name, in: view.in, required: view.required, schema: view.schema },
      { name: 'view', in: 'query', required: false, schema: { enum: ['actual', 'mirror'], default: 'actual' } },
    );

    assert.deepEqual(Object.keys(operation.responses), ['200', '304', '400']);
    assert.deepEqual(Object.keys(operation.responses['200'].content), ['image/svg+xml']);
    assert.deepEqual(Object.keys(operation.responses['200'].headers), ['etag', 'cache-control']);
    assert.equal(operation.responses['304'].content, undefined);
  });

  test('the 400 answer has the same body schema as /clock', () => {
    const svg = document.paths['/clock.svg'].get.responses['400'];
    const clock = document.paths['/clock'].get.responses['400'];
    assert.deepEqual(svg, clock);
  });
});
