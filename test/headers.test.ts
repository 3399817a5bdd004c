import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { API_HEADERS, PAGE_HEADERS, matchesEtag, represent } from '../src/headers.ts';
import { startServer, type RunningServer } from '../src/server.ts';

/**
 * One GET over a fresh keep-alive socket, as a client that reuses its connection sends it: the bytes exactly as the
 * server wrote them, up to the end of the body.
 */
async function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}\r\n`);
  let received = Buffer.alloc(0);
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk as Buffer]);
    const end = received.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: (\d+)\r\n/i.exec(received.toString('latin1'));
    if (end !== -1 && length !== null && received.length >= end + 4 + Number(length[1])) break;
  }
  socket.destroy();
  return received;
}

function parse(raw: Buffer) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { statusLine, headers, body: text.slice(end + 4) };
}

// Node's own framing: Date, and Connection and Keep-Alive on a connection that stays open.
const NODE = ['date', 'connection', 'keep-alive'];

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
