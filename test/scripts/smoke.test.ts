import { test, suite, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT } from '../../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';

interface SmokeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Runs scripts/smoke.ts as `npm run smoke` does, with the Node that runs the tests. */
async function smoke(...args: string[]): Promise<SmokeRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['scripts/smoke.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr, elapsedMs: performance.now() - started };
}

const lines = (text: string) => text.trimEnd().split('\n');
const CHECK_COUNT = 13;

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

suite('smoke test against the real service', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(() => server.kill());

  test('every check passes: one "ok" line per check, a summary, exit code 0', async () => {
    const run = await smoke(`${server.url}/`);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const output = lines(run.stdout);
    assert.equal(output[0], `smoke test of ${server.url} (${CHECK_COUNT} checks, 5000 ms timeout each)`);
    const checks = output.slice(1, -1);
    assert.equal(checks.length, CHECK_COUNT);
    for (const line of checks) assert.match(line, /^ok {4}GET \//);
    assert.ok(checks.includes('ok    GET /health → 200 {"status":"ok"}'));
    assert.ok(
      checks.includes('ok    GET /clock?mirror_time=12:22 → 200 {"mirror_time":"12:22","actual_time":"11:38"}'),
    );
    assert.ok(
      checks.includes('ok    GET /clock?mirror_time=06:00 → 200 {"mirror_time":"06:00","actual_time":"06:00"}'),
    );
    assert.ok(checks.includes('ok    GET /clock?mirror_time=13:20 → 400 with a JSON message naming mirror_time'));
    assert.ok(checks.includes('ok    GET / → 200 Swagger UI (text/html)'));
    assert.match(output.at(-1)!, new RegExp(`^passed: ${CHECK_COUNT} of ${CHECK_COUNT} checks in \\d+ ms$`));
    assert.equal(run.stderr, '');
  });
});

suite('smoke test against a service that answers wrongly', () => {
  // Healthy, but the clock is a real clock: it answers the mirror time unchanged, and accepts 13:20.
  const wrong = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const time = url.searchParams.get('mirror_time');
    const body =
      url.pathname === '/health'
        ? { status: 'ok' }
        : url.pathname === '/clock'
          ? { mirror_time: time, actual_time: time }
          : {};
    response.writeHead(url.pathname === '/' ? 404 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  let url: string;
  before(async () => {
    url = await listen(wrong);
  });
  after(() => wrong.close());

  test('each wrong answer is a FAIL line saying what was expected and what came, and the exit code is 1', async () => {
    const run = await smoke(url);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const output = lines(run.stdout);
    assert.ok(output.includes('ok    GET /health → 200 {"status":"ok"}'));
    // 12:00 and 06:00 mirror to themselves, so even this broken clock gets them right.
    assert.ok(
      output.includes('ok    GET /clock?mirror_time=12:00 → 200 {"mirror_time":"12:00","actual_time":"12:00"}'),
    );
    assert.ok(
      output.includes(
        'FAIL  GET /clock?mirror_time=12:22: expected 200 {"mirror_time":"12:22","actual_time":"11:38"}, ' +
          'got 200 "{\\"mirror_time\\":\\"12:22\\",\\"actual_time\\":\\"12:22\\"}"',
      ),
    );
    assert.ok(
      output.includes(
        'FAIL  GET /clock?mirror_time=13:20: expected 400 with a JSON message naming mirror_time, ' +
          'got 200 "{\\"mirror_time\\":\\"13:20\\",\\"actual_time\\":\\"13:20\\"}"',
      ),
    );
    assert.ok(output.includes('FAIL  GET /: expected 200 Swagger UI (text/html), got 404 application/json "{}"'));
    assert.equal(output.filter((line) => line.startsWith('FAIL  ')).length, 10);
    assert.equal(output.at(-1)?.replace(/\d+ ms$/, 'N ms'), `FAILED: 3 of ${CHECK_COUNT} checks in N ms`);
  });
});

suite('smoke test against nothing, or a service that never answers', () => {
  test('a dead port fails every check with the connection error, quickly', async () => {
    const probe = createServer();
    const url = await listen(probe);
    probe.close();
    await once(probe, 'close');
    const run = await smoke(url);
    assert.equal(run.code, 1);
    const failures = lines(run.stdout).filter((line) => line.startsWith('FAIL  '));
    assert.equal(failures.length, CHECK_COUNT);
    for (const line of failures) assert.match(line, /request failed: ECONNREFUSED$/);
    assert.ok(run.elapsedMs < 10_000, `took ${run.elapsedMs} ms`);
  });

  test('a server that accepts but never answers fails each check after --timeout-ms', async () => {
    const silent = createServer(() => {
      // Never answers.
    });
    const url = await listen(silent);
    try {
      const run = await smoke(url, '--timeout-ms', '150');
      assert.equal(run.code, 1);
      const failures = lines(run.stdout).filter((line) => line.startsWith('FAIL  '));
      assert.equal(failures.length, CHECK_COUNT);
      for (const line of failures) assert.match(line, /no answer within 150 ms$/);
      // 13 checks × 150 ms, plus the start of a Node process: bounded, not a hang.
      assert.ok(run.elapsedMs < 15_000, `took ${run.elapsedMs} ms`);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

suite('smoke test usage', () => {
  test('without a URL it prints the usage and exits 2', async () => {
    const run = await smoke();
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^usage: npm run smoke -- <base-url>/);
  });

  test('a URL that is not http(s) is refused with exit code 2', async () => {
    const run = await smoke('localhost:8080');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^"localhost:8080" is not an http\(s\) URL\n/);
  });

  test('a bad --timeout-ms is refused with exit code 2', async () => {
    const run = await smoke('http://127.0.0.1:1', '--timeout-ms', '0');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^--timeout-ms "0" is invalid: expected a whole number of milliseconds from 1 to 60000/);
  });
});
