import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isHealthy } from '../../src/healthcheck.ts';
import { ROOT } from '../../tools/root.ts';
import { IDENTITY } from '../../src/identity.ts';

/** A stand-in server whose /health answers with a chosen status, or never. */
async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const { server, port } = await listen(() => undefined);
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs the compiled script the way the task definition does, and resolves with its exit code. */
async function runHealthcheck(env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/healthcheck.js')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'ignore',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

suite('isHealthy', () => {
  const statuses = new Map<string, number>([
    ['/ok', 200],
    ['/draining', 503],
    ['/redirect', 301],
  ]);
  let port: number;
  let server: Server;
  before(async () => {
    ({ server, port } = await listen((request, response) => {
      if (request.url === '/hang') return; // never answers
      response.writeHead(statuses.get(request.url ?? '') ?? 404, { location: '/ok' }).end('{}');
    }));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('true on 200', async () => {
    assert.equal(await isHealthy(`http://127.0.0.1:${port}/ok`), true);
  });

  test('false on 503, what /health answers once shutdown has begun', async () => {
    assert.equal(await isHealthy(`http://127.0.0.1:${port}/draining`), false);
  });

  test('false on any other status, a redirect included', async () => {
    assert.equal(await isHealthy(`http://127.0.0.1:${port}/redirect`), false);
    assert.equal(await isHealthy(`http://127.0.0.1:${port}/missing`), false);
  });

  test('false when the connection is refused', async () => {
    assert.equal(await isHealthy(`http://127.0.0.1:${await deadPort()}/ok`), false);
  });

  test('false within its timeout when the server never answers', async () => {
    const started = performance.now();
    assert.equal(await isHealthy(`http://127.0.0.1:${port}/hang`, 200), false);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 2000, `${elapsed} ms`);
  });
});

suite('dist/healthcheck.js, as the container runs it', () => {
  test('exits 0 when /health on $PORT answers 200', async () => {
    const { server, port } = await listen((request, response) => {
      response.writeHead(request.url === IDENTITY.healthPath ? 200 : 404).end();
    });
    try {
      assert.equal(await runHealthcheck({ PORT: String(port) }), 0);
    } finally {
      server.close();
    }
  });

  test('exits 1 when /health answers 503', async () => {
    const { server, port } = await listen((_, response) => response.writeHead(503).end());
    try {
      assert.equal(await runHealthcheck({ PORT: String(port) }), 1);
    } finally {
      server.close();
    }
  });

  test('exits 1 when nothing listens on $PORT', async () => {
    assert.equal(await runHealthcheck({ PORT: String(await deadPort()) }), 1);
  });
});
