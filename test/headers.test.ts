import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { API_HEADERS, PAGE_HEADERS } from '../src/headers.ts';
import { IDENTITY } from '../src/identity.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { NODE_FRAMING, parse, rawGet } from './helpers/wire.ts';

suite('answers on the wire, from the platform as it runs', () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    server = await startServer(config, await buildApp());
    port = Number(new URL(server.url).port);
  });
  after(() => server.shutdown());

  test('the health answer carries the API set and nothing a page needs', async () => {
    const { statusLine, headers, body } = parse(await rawGet(port, IDENTITY.healthPath));
    assert.equal(statusLine, 'HTTP/1.1 200 OK');
    assert.equal(body, '{"status":"ok"}');
    assert.deepEqual(
      Object.keys(headers).sort(),
      [...Object.keys(API_HEADERS), ...NODE_FRAMING, 'content-length', 'content-type', 'x-request-id'].sort(),
    );
    for (const [name, value] of Object.entries(API_HEADERS)) assert.equal(headers[name], value, name);
  });

  test('Swagger UI, a document, carries the API set and the document set', async () => {
    const { headers } = parse(await rawGet(port, '/'));
    assert.deepEqual(
      Object.keys(headers).sort(),
      [
        ...Object.keys(API_HEADERS),
        ...Object.keys(PAGE_HEADERS),
        ...NODE_FRAMING,
        'content-length',
        'content-type',
        'x-request-id',
      ].sort(),
    );
  });
});
