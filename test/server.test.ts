import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { IDENTITY } from '../src/identity.ts';
import { loggerOptions, main, startServer } from '../src/server.ts';
import { startServerProcess } from '../tools/server-process.ts';
import { slowClient } from './helpers/slow-client.ts';

const HEALTH = IDENTITY.healthPath;

/** GET over a given agent; resolves with status, headers and body. */
function get(url: string, agent: Agent) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    request(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** A raw socket that has connected; `closed` resolves when the server ends it. */
async function openSocket(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = once(socket, 'close').then(() => received);
  return { socket, closed, received: () => received };
}

/** Keeps a response stuck in flight: pipelined downloads of the 1.7 MB Swagger UI bundle, never read. */
function stallDownloads(socket: Socket, count = 20) {
  socket.pause();
  socket.write('GET /static/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count));
}

const config = (env: Record<string, string> = {}) => loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env });

suite('graceful shutdown, in process', () => {
  test('finishes requests in flight, closes idle keep-alive and silent sockets, and refuses new connections', async () => {
    const app = await buildApp({ keepAliveTimeoutMs: 65_000 });
    app.get('/slow', async () => {
      await sleep(500);
      return { done: true };
    });
    const { url, shutdown } = await startServer(config(), app);
    const port = Number(new URL(url).port);
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });

    // An idle keep-alive connection, a silent socket, and a request that will still be running at SIGTERM.
    assert.equal((await get(`${url}${HEALTH}`, agent)).status, 200);
    const silent = await openSocket(port);
    const slow = get(`${url}/slow`, agent);
    await sleep(100);

    const started = performance.now();
    const closing = shutdown();
    await sleep(20);
    await assert.rejects(get(`${url}${HEALTH}`, new Agent()), { code: 'ECONNREFUSED' });

    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { done: true });
    await closing;
    const elapsed = performance.now() - started;
    // Without the idle sweep, close() would wait for the 65 s keep-alive timeout (fastify#7044).
    assert.ok(elapsed < 2_000, `shutdown took ${Math.round(elapsed)} ms`);
    assert.equal(await silent.closed, '');
    agent.destroy();
  });

  test('once shutdown has begun, requests on a connection still open get a 503 with Connection: close', async () => {
    const app = await buildApp();
    app.get('/slow', async () => {
      await sleep(300);
      return 'slow';
    });
    const { url, shutdown } = await startServer(config(), app);
    const client = await openSocket(Number(new URL(url).port));
    client.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    const closing = shutdown();
    await sleep(20);
    // The connection is busy with /slow, so shutdown leaves it open; the next request on it is refused politely.
    client.socket.write(`GET ${HEALTH} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await closing;
    const received = await client.closed;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    const second = received.slice(received.indexOf('HTTP/1.1', 1));
    assert.match(second, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(second, /\r\nConnection: close\r\n/i);
  });

  test('after the grace period, responses still in flight are cut off', async () => {
    const { url, shutdown } = await startServer(config({ SHUTDOWN_TIMEOUT_MS: '300' }));
    const stalled = await openSocket(Number(new URL(url).port));
    stallDownloads(stalled.socket);
    await sleep(200);
    const started = performance.now();
    await shutdown();
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2_000, `shutdown took ${Math.round(elapsed)} ms`);
    stalled.socket.resume();
    await stalled.closed;
  });
});

suite('the server process, as `npm start` runs it', () => {
  test('answers over a real socket with the service headers', async () => {
    const server = await startServerProcess();
    try {
      const response = await fetch(`${server.url}${HEALTH}`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('keep-alive'), 'timeout=65');
    } finally {
      server.kill();
    }
  });

  test('logs JSON lines on stdout when not on a terminal', async () => {
    const server = await startServerProcess();
    server.kill();
    await server.exited;
    const first = server.output().split('\n')[0]!;
    const line = JSON.parse(first) as { level: number; msg: string };
    assert.equal(line.level, 30);
    assert.match(line.msg, /^Server listening at http:\/\/127\.0\.0\.1:\d+$/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} exits 0 within 5 s while an idle keep-alive client and a silent socket are connected`, async () => {
      const server = await startServerProcess();
      const agent = new Agent({ keepAlive: true });
      try {
        assert.equal((await get(`${server.url}${HEALTH}`, agent)).status, 200);
        const silent = await openSocket(server.port);
        const started = performance.now();
        server.child.kill(signal);
        const { code } = await server.exited;
        const elapsed = performance.now() - started;
        assert.equal(code, 0, server.output());
        assert.ok(elapsed < 5_000, `exit took ${Math.round(elapsed)} ms`);
        await silent.closed;
        assert.match(server.output(), /"msg":"shut down cleanly"/);
      } finally {
        agent.destroy();
        server.kill();
      }
    });
  }

  test('a second signal exits at once, even while a response is stuck', async () => {
    const server = await startServerProcess({ env: { SHUTDOWN_TIMEOUT_MS: '60000' } });
    const stalled = await openSocket(server.port);
    try {
      stallDownloads(stalled.socket);
      await sleep(200);
      server.child.kill('SIGTERM');
      await sleep(300);
      assert.equal(server.child.exitCode, null, 'still draining after the first signal');
      const started = performance.now();
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      assert.equal(code, 1);
      assert.ok(performance.now() - started < 1_000);
    } finally {
      stalled.socket.destroy();
      server.kill();
    }
  });

  for (const [env, message] of [
    [
      { PORT: 'abc' },
      `${IDENTITY.slug}: configuration error: PORT="abc" is invalid: expected a whole number from 0 to 65535\n`,
    ],
    [
      { PORT: '70000' },
      `${IDENTITY.slug}: configuration error: PORT="70000" is invalid: expected a whole number from 0 to 65535\n`,
    ],
    [
      { LOG_LEVEL: 'loud' },
      `${IDENTITY.slug}: configuration error: LOG_LEVEL="loud" is invalid: expected one of fatal, error, warn, info, debug, trace, silent\n`,
    ],
  ] as const) {
    test(`${Object.keys(env)[0]}=${Object.values(env)[0]} stops the process before it listens, with exit code 1`, async () => {
      await assert.rejects(startServerProcess({ env }), (error: Error) => {
        assert.match(error.message, /server exited \(code 1, signal null\) before listening/);
        assert.ok(error.message.endsWith(`\n${message}`), error.message);
        return true;
      });
    });
  }
});

suite('main(), in process', () => {
  test('a bad config exits 1 before listening', async () => {
    const exits: number[] = [];
    assert.equal(await main({ PORT: 'abc' }, (code) => exits.push(code)), undefined);
    assert.deepEqual(exits, [1]);
  });

  test('the first signal shuts down and exits 0; a second one exits 1 at once', async () => {
    const exits: number[] = [];
    const running = await main({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, (code) => exits.push(code));
    assert.ok(running);
    assert.equal((await fetch(`${running.url}${HEALTH}`)).status, 200);

    process.emit('SIGTERM');
    while (!exits.includes(0)) await sleep(10);
    assert.deepEqual(exits, [0]);
    await assert.rejects(fetch(`${running.url}${HEALTH}`));

    process.emit('SIGINT');
    process.emit('SIGTERM');
    assert.deepEqual(exits, [0, 1, 1]);
    assert.equal(process.listenerCount('SIGTERM') + process.listenerCount('SIGINT'), 0);
  });

  test('pretty logs only on a terminal', async () => {
    const config = loadConfig({ LOG_LEVEL: 'warn' });
    assert.deepEqual(await loggerOptions(config, false), { level: 'warn' });
    const pretty = (await loggerOptions(config, true)) as { level: string; stream: unknown };
    assert.equal(pretty.level, 'warn');
    assert.ok(pretty.stream instanceof Writable, 'pino-pretty, as a stream in this thread');
  });
});

suite('slow clients', () => {
  test('a client that trickles its headers, and one that sends nothing, get a 408 soon after HEADERS_TIMEOUT_MS', async () => {
    const server = await startServerProcess({ env: { HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1000' } });
    const clients = [await slowClient(server.port, 'silent'), await slowClient(server.port, 'trickle', 50)];
    try {
      // Meanwhile everyone else is served.
      assert.equal((await fetch(`${server.url}${HEALTH}`)).status, 200);
      for (const client of clients) {
        const { ms, received } = await client.cut;
        assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/, client.kind);
        // Node sweeps for expired connections once a second (connectionsCheckingInterval), not every 30 s.
        assert.ok(ms < 3_000, `${client.kind} cut off after ${Math.round(ms)} ms`);
      }
    } finally {
      for (const client of clients) client.stop();
      server.kill();
    }
  });
});
