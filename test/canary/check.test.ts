import { test, suite, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT } from '../../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';

/** Runs the canary's handler as `npm run canary -- <url>` does, through the local Synthetics adapter. */
async function runCanary(url: string) {
  const child = spawn(process.execPath, ['tools/synthetics-local/run.ts', url], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

suite('synthetic check (infra/canary/check.ts through tools/synthetics-local)', () => {
  let service: ServerProcess;
  const requests: { url: string; requestId: string; userAgent: string }[] = [];
  let wrong: Server;
  let wrongUrl: string;

  before(async () => {
    service = await startServerProcess({ env: { LOG_REQUESTS: 'true' } });
    // Right health, right status, but the clock answers the mirrored time itself: the bug the check exists for.
    wrong = createServer((request, response) => {
      requests.push({
        url: request.url ?? '',
        requestId: String(request.headers['x-request-id']),
        userAgent: String(request.headers['user-agent']),
      });
      response.setHeader('content-type', 'application/json');
      response.end(
        request.url === '/health'
          ? JSON.stringify({ status: 'ok' })
          : JSON.stringify({ mirror_time: '12:22', actual_time: '12:22' }),
      );
    });
    wrongUrl = await listen(wrong);
  });
  after(async () => {
    service.kill();
    wrong.close();
  });

  test('GIVEN the built service WHEN the check runs THEN both steps pass and the service logs its request ids', async () => {
    const run = await runCanary(service.url);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Step health PASSED/);
    assert.match(run.stdout, /Step clock PASSED/);
    assert.match(run.stdout, /\/clock\?mirror_time=12:22: \{"mirror_time":"12:22","actual_time":"11:38"\}/);
    assert.match(run.stdout, /^PASSED: health \(\d+ ms\), clock \(\d+ ms\)$/m);
    assert.equal(run.stderr, '');
    // The per-run ids reach the service's log lines, where the saved query finds them.
    assert.match(service.output(), /"requestId":"synthetic-[0-9a-z]+-clock"/);
  });

  test('GIVEN a server that answers the clock wrongly WHEN the check runs THEN the clock step fails and says why', async () => {
    const run = await runCanary(wrongUrl);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /Step health PASSED/);
    assert.match(run.stderr, /Step clock FAILED in \d+ ms: \/clock\?mirror_time=12:22: answered/);
    assert.match(run.stderr, /"actual_time":"12:22"/);
    assert.deepEqual(
      requests.map((r) => r.url),
      ['/health', '/clock?mirror_time=12:22'],
    );
    for (const request of requests) {
      assert.match(request.requestId, /^synthetic-[0-9a-z]+-(health|clock)$/);
      assert.equal(request.userAgent, 'clock-mirror-synthetic-check');
    }
  });

  test('GIVEN nothing listening WHEN the check runs THEN the first step fails with the connection error', async () => {
    const closed = createServer();
    const deadUrl = await listen(closed);
    closed.close();
    await once(closed, 'close');
    const run = await runCanary(deadUrl);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Step health FAILED in \d+ ms: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(run.stdout, /Executing step: clock/);
  });

  test('without a URL it prints its usage and exits 2', async () => {
    const child = spawn(process.execPath, ['tools/synthetics-local/run.ts'], { cwd: ROOT, stdio: 'pipe' });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 2);
    assert.match(stderr, /usage: npm run canary -- <service url/);
  });
});
