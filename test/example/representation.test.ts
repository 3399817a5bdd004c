import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { API_HEADERS, PAGE_HEADERS } from '../../src/headers.ts';
import { matchesEtag, represent } from '../../src/example/representation.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { NODE_FRAMING, parse, rawGet } from '../helpers/wire.ts';

const NODE = NODE_FRAMING;

suite('answers on the wire, from the server as it runs', () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }));
    port = Number(new URL(server.url).port);
  });
  after(() => server.shutdown());

  test('the JSON answer is at most 350 bytes, headers and all', async () => {
    const raw = await rawGet(port, '/clock?mirror_time=12:22');
    const { statusLine, headers, body } = parse(raw);
    assert.equal(statusLine, 'HTTP/1.1 200 OK');
    assert.equal(body, '{"mirror_time":"12:22","actual_time":"11:38"}');
    assert.ok(raw.length <= 350, `${raw.length} bytes:\n${raw.toString('latin1')}`);
    assert.deepEqual(
      Object.keys(headers).sort(),
      [...Object.keys(API_HEADERS), ...NODE, 'content-length', 'content-type', 'etag', 'vary', 'x-request-id'].sort(),
    );
  });

  test('the plain-text answer carries the same set', async () => {
    const { headers, body } = parse(await rawGet(port, '/clock?mirror_time=12:22', { accept: 'text/plain' }));
    assert.equal(body, '11:38');
    assert.deepEqual(
      Object.keys(headers).sort(),
      [...Object.keys(API_HEADERS), ...NODE, 'content-length', 'content-type', 'etag', 'vary', 'x-request-id'].sort(),
    );
    assert.equal(headers['content-type'], 'text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(API_HEADERS)) {
      if (name !== 'cache-control') assert.equal(headers[name], value, name);
    }
    assert.equal(headers.vary, 'accept');
  });

  test('a page carries the API set and the document set', async () => {
    const { headers } = parse(await rawGet(port, '/mirror'));
    assert.deepEqual(
      Object.keys(headers).sort(),
      [
        ...Object.keys(API_HEADERS),
        ...Object.keys(PAGE_HEADERS),
        ...NODE,
        'content-length',
        'content-type',
        'x-request-id',
      ].sort(),
    );
  });
});

suite('represent', () => {
  test('the ETag follows the bytes: a different body, a different tag', () => {
    const a = represent('application/json', '{"a":1}');
    assert.equal(a.etag, represent('application/json', '{"a":1}').etag);
    assert.notEqual(a.etag, represent('application/json', '{"a":2}').etag);
    assert.match(a.etag, /^"[A-Za-z0-9_-]{6}"$/);
    assert.deepEqual(a.headers, {
      ...API_HEADERS,
      'cache-control': 'max-age=604800',
      etag: a.etag,
      vary: 'accept',
      'content-type': 'application/json',
    });
  });
});

suite('matchesEtag', () => {
  for (const [header, expected] of [
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
  ] as const) {
    test(`If-None-Match ${String(header)} ${expected ? 'matches' : 'does not match'} "abc"`, () => {
      assert.equal(matchesEtag(header, '"abc"'), expected);
    });
  }
});
