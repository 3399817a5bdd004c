import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { startServerProcess } from '../../tools/server-process.ts';
import { slowClient, type SlowClient } from '../helpers/slow-client.ts';
import { SETTINGS } from './settings.ts';
import { BUSY } from '../helpers/busy-request.ts';
import { IDENTITY } from '../../src/identity.ts';

const HEADERS_TIMEOUT_MS = 1_000;
/** Node checks for expired connections once a second (src/app.ts), so a cut may come up to a second late. */
const LATEST_CUT_MS = HEADERS_TIMEOUT_MS + 1_000 + 1_000;
const ANSWER = BUSY.answer;

/** GET over a keep-alive agent; a socket error is an answer too (status 0), so that a test can report it. */
function get(url: string, agent: Agent): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, ms: performance.now() - started }));
    })
      .on('error', (error) => resolve({ status: 0, body: String(error), ms: performance.now() - started }))
      .end();
  });
}

test(`${SETTINGS.slowClients} trickling and ${SETTINGS.slowClients} silent clients are cut off by the timeouts while others are served`, async (t) => {
  const server = await startServerProcess({
    env: { HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), REQUEST_TIMEOUT_MS: '2000' },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const slow: SlowClient[] = [];
  try {
    for (let i = 0; i < SETTINGS.slowClients; i++) {
      slow.push(await slowClient(server.port, 'silent'), await slowClient(server.port, 'trickle'));
    }
    // Ordinary callers, all the while the slow ones hold their sockets and until the last is cut off.
    const served: { status: number; body: string; ms: number }[] = [];
    let cutAll = false;
    const allCut = Promise.all(slow.map((client) => client.cut)).finally(() => (cutAll = true));
    const callers = Array.from({ length: 4 }, async () => {
      while (!cutAll) served.push(await get(`${server.url}${BUSY.path}`, agent));
    });
    const cuts = await Promise.race([
      allCut,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('slow clients still connected')), LATEST_CUT_MS + 2_000),
      ),
    ]);
    await Promise.all(callers);

    for (const [index, { ms, received }] of cuts.entries()) {
      const { kind } = slow[index]!;
      assert.ok(ms >= HEADERS_TIMEOUT_MS - 50 && ms <= LATEST_CUT_MS, `${kind} client cut after ${Math.round(ms)} ms`);
      // All they may get is the timeout answer: never the 200 their request would have earned.
      assert.ok(received === '' || received.startsWith('HTTP/1.1 408 '), `${kind} client got ${received.slice(0, 80)}`);
    }
    assert.ok(served.length > 0);
    assert.deepEqual(
      served.filter((answer) => answer.status !== 200 || answer.body !== ANSWER).slice(0, 5),
      [],
      'every ordinary caller got the answer',
    );
    const slowest = Math.max(...served.map((answer) => answer.ms));
    assert.ok(slowest < 500, `an ordinary request took ${Math.round(slowest)} ms`);
    t.diagnostic(
      `cut after ${Math.round(Math.min(...cuts.map((c) => c.ms)))}-${Math.round(Math.max(...cuts.map((c) => c.ms)))} ms; ` +
        `${served.length} ordinary requests served meanwhile, slowest ${slowest.toFixed(1)} ms`,
    );
    assert.equal((await get(`${server.url}${IDENTITY.healthPath}`, agent)).status, 200);
  } finally {
    for (const client of slow) client.stop();
    agent.destroy();
    server.kill();
  }
});
