import { test, suite, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { listenOnLoopback, runScript } from '../helpers/script-run.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { CACHE_BYPASS_HEADER, expectation } from '../../tools/post-deploy-checks.ts';
import { cachingEdge } from '../helpers/caching-edge.ts';
import { IDENTITY } from '../../src/identity.ts';
import { fakeService } from '../helpers/fake-service.ts';

/** Runs scripts/smoke.ts as `npm run smoke` does. */
const smoke = (...args: string[]) => runScript('scripts/smoke.ts', ...args);

const lines = (text: string) => text.trimEnd().split('\n');
const CHECK_COUNT = IDENTITY.checks.length;

suite('smoke test against the real service', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(() => server.kill());

  test('every check of the identity passes: one "ok" line per check, a summary, exit code 0', async () => {
    const run = await smoke(server.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const output = lines(run.stdout);
    assert.equal(output[0], `smoke test of ${server.url} (${CHECK_COUNT} checks, 5000 ms timeout each)`);
    assert.deepEqual(
      output.slice(1, -1),
      IDENTITY.checks.map((check) => `ok    GET ${check.path} → ${expectation(check)}`),
    );
    assert.match(output.at(-1)!, new RegExp(`^passed: ${CHECK_COUNT} of ${CHECK_COUNT} checks in \\d+ ms$`));
    assert.equal(run.stderr, '');
  });
});

suite('smoke test through a caching edge, after a deploy that changed the answers', () => {
  // The origin answers every check rightly, until the "deploy" below breaks two of them.
  const wrong: number[] = [];
  const origin = fakeService(IDENTITY.checks, wrong);
  // The distribution's key: the query, Accept and the bypass header (infra/lib/service/edge-distribution.ts).
  let originUrl = '';
  const edge = cachingEdge(() => originUrl, ['accept', CACHE_BYPASS_HEADER]);
  before(async () => {
    originUrl = await listenOnLoopback(origin.server);
  });
  after(() => {
    origin.server.close();
    edge.server.close();
  });

  test('each run misses the cache and sees the revision that answers now', async () => {
    const url = await listenOnLoopback(edge.server);
    const first = await smoke(url);
    assert.equal(first.code, 0, first.stdout);
    wrong.push(2, 3);
    // A client that asked before the deploy still gets the old answer from the cache...
    const stale = await fetch(`${url}${IDENTITY.checks[2]!.path}`, {
      headers: { [CACHE_BYPASS_HEADER]: String(origin.requests[2]!.headers[CACHE_BYPASS_HEADER]) },
    });
    assert.equal(stale.status, 200);
    // ...but the smoke test after the deploy judges the new revision, and fails on its two wrong answers.
    const second = await smoke(url);
    assert.equal(second.code, 1, second.stdout);
    assert.match(second.stdout, /FAILED: \d+ of \d+ checks/);
    assert.equal(edge.hits.filter(Boolean).length, 1, 'only the client above was served from the cache');
    const values = new Set(origin.requests.map((request) => request.headers[CACHE_BYPASS_HEADER]));
    assert.equal(values.size, 2, 'one bypass value per run, sent with every request');
  });
});

suite('smoke test against a service that answers some checks wrongly', () => {
  // The first check after the health check, and the last one.
  const wrong = [1, IDENTITY.checks.length - 1];
  const fake = fakeService(IDENTITY.checks, wrong);
  let url: string;
  before(async () => {
    url = await listenOnLoopback(fake.server);
  });
  after(() => fake.server.close());

  test('each wrong answer is a FAIL line saying what was expected and what came, and the exit code is 1', async () => {
    const run = await smoke(url);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(
      lines(run.stdout).slice(1, -1),
      IDENTITY.checks.map((check, index) =>
        wrong.includes(index)
          ? `FAIL  GET ${check.path}: expected ${expectation(check)}, got 200 application/json "{\\"wrong\\":true}"`
          : `ok    GET ${check.path} → ${expectation(check)}`,
      ),
    );
    assert.equal(
      lines(run.stdout)
        .at(-1)
        ?.replace(/\d+ ms$/, 'N ms'),
      `FAILED: ${CHECK_COUNT - wrong.length} of ${CHECK_COUNT} checks in N ms`,
    );
    assert.ok(fake.requests.every((request) => request.headers['user-agent'] === `${IDENTITY.slug}-smoke`));
  });
});

suite('smoke test against nothing, or a service that never answers', () => {
  test('a dead port fails every check with the connection error, quickly', async () => {
    const probe = createServer();
    const url = await listenOnLoopback(probe);
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
    const url = await listenOnLoopback(silent);
    try {
      const run = await smoke(url, '--timeout-ms', '150');
      assert.equal(run.code, 1);
      const failures = lines(run.stdout).filter((line) => line.startsWith('FAIL  '));
      assert.equal(failures.length, CHECK_COUNT);
      for (const line of failures) assert.match(line, /no answer within 150 ms$/);
      // Each check × 150 ms, plus the start of a Node process: bounded, not a hang.
      assert.ok(run.elapsedMs < 5_000 + CHECK_COUNT * 150, `took ${run.elapsedMs} ms`);
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
