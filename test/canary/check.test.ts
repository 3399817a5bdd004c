import { test, suite, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { listenOnLoopback, runScript } from '../helpers/script-run.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { CACHE_BYPASS_HEADER, expectation, stepName } from '../../tools/post-deploy-checks.ts';
import { cachingEdge } from '../helpers/caching-edge.ts';
import { fakeService } from '../helpers/fake-service.ts';
import { IDENTITY } from '../../src/identity.ts';

/** Runs the canary's handler as `npm run canary -- <url>` does, through the local Synthetics adapter. */
const runCanary = (url: string) => runScript('tools/synthetics-local/run.ts', url);

suite('synthetic check (infra/canary/check.ts through tools/synthetics-local)', () => {
  const steps = IDENTITY.checks.map(stepName);
  // The last check answered wrongly: every step before it passes.
  const wrong = IDENTITY.checks.length - 1;
  const fake = fakeService(IDENTITY.checks, [wrong]);
  let service: ServerProcess;
  let wrongUrl: string;

  before(async () => {
    service = await startServerProcess({ env: { LOG_REQUESTS: 'true' } });
    wrongUrl = await listenOnLoopback(fake.server);
  });
  after(async () => {
    service.kill();
    fake.server.close();
  });

  test('GIVEN the built service WHEN the check runs THEN every step passes and the service logs its request ids', async () => {
    const run = await runCanary(service.url);
    assert.equal(run.code, 0, run.stderr);
    for (const step of steps) assert.match(run.stdout, new RegExp(`Step ${step} PASSED`));
    assert.match(run.stdout, new RegExp(`^PASSED: ${steps.map((step) => `${step} \\(\\d+ ms\\)`).join(', ')}$`, 'm'));
    assert.equal(run.stderr, '');
    // The per-run ids reach the service's log lines, where the saved query finds them.
    for (const step of steps) {
      assert.match(service.output(), new RegExp(`"requestId":"synthetic-[0-9a-z]+-${step}"`));
    }
  });

  test('GIVEN a server that answers one check wrongly WHEN the check runs THEN that step fails and says why', async () => {
    const run = await runCanary(wrongUrl);
    assert.equal(run.code, 1);
    for (const step of steps.slice(0, wrong)) assert.match(run.stdout, new RegExp(`Step ${step} PASSED`));
    const check = IDENTITY.checks[wrong]!;
    assert.ok(
      run.stderr.includes(`Step ${steps[wrong]!} FAILED`) &&
        run.stderr.includes(
          `${check.path}: expected ${expectation(check)}, got 200 application/json "{\\"wrong\\":true}"`,
        ),
      run.stderr,
    );
    assert.deepEqual(
      fake.requests.map((request) => request.path),
      IDENTITY.checks.map((c) => c.path),
    );
    fake.requests.forEach((request, index) => {
      assert.match(String(request.headers['x-request-id']), new RegExp(`^synthetic-[0-9a-z]+-${steps[index]!}$`));
      assert.equal(request.headers['user-agent'], `${IDENTITY.slug}-synthetic-check`);
    });
  });

  test('GIVEN a caching edge WHEN a deploy changes an answer THEN the next run misses the cache and fails', async () => {
    const broken: number[] = [];
    const origin = fakeService(IDENTITY.checks, broken);
    let originUrl = '';
    const edge = cachingEdge(() => originUrl, ['accept', CACHE_BYPASS_HEADER]);
    try {
      originUrl = await listenOnLoopback(origin.server);
      const url = await listenOnLoopback(edge.server);
      assert.equal((await runCanary(url)).code, 0);
      broken.push(wrong);
      const after = await runCanary(url);
      assert.equal(after.code, 1, after.stdout);
      assert.ok(after.stderr.includes(`Step ${steps[wrong]!} FAILED`), after.stderr);
      assert.deepEqual(
        edge.hits,
        [...IDENTITY.checks, ...IDENTITY.checks].map(() => false),
      );
      const values = new Set(origin.requests.map((request) => request.headers[CACHE_BYPASS_HEADER]));
      assert.equal(values.size, 2, 'one bypass value per run, on every request');
    } finally {
      origin.server.close();
      edge.server.close();
    }
  });

  test('GIVEN nothing listening WHEN the check runs THEN the first step fails with the connection error', async () => {
    const closed = createServer();
    const deadUrl = await listenOnLoopback(closed);
    closed.close();
    await once(closed, 'close');
    const run = await runCanary(deadUrl);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`Step ${steps[0]!} FAILED in \\d+ ms: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+`),
    );
    assert.doesNotMatch(run.stdout, new RegExp(`Executing step: ${steps[1]!}`));
  });

  test('without a URL it prints its usage and exits 2', async () => {
    const { code, stderr } = await runScript('tools/synthetics-local/run.ts');
    assert.equal(code, 2);
    assert.match(stderr, /usage: npm run canary -- <service url/);
  });
});
