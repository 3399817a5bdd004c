/**
 * `npm run loadtest -- <base-url>`: bounded load with the environment's thresholds. It passes against the built
 * server, fails a threshold against servers that err or lag, and refuses a run out of bounds before sending anything.
 * (The image: test/container/image.test.ts.) Every server here is one this file started on 127.0.0.1.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { STAGING } from '../../infra/lib/environments.ts';
import { LOAD_BOUNDS, LOAD_TEST_HEADER, validatePromotionChecks } from '../../infra/lib/load-test.ts';
import { startServerProcess } from '../../tools/server-process.ts';
import { readJUnit } from '../helpers/junit.ts';
import { listenOnLoopback, runScript, runScriptWith } from '../helpers/script-run.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

const SCRIPT = 'scripts/loadtest.ts';

suite('npm run loadtest', () => {
  test('against the built server for 10 s: every threshold holds, one line and one JUnit case each', async (t) => {
    const server = await startServerProcess();
    t.after(() => server.kill());
    const junit = join(temporaryFolder('loadtest', t), 'loadtest.xml');
    const run = await runScript(SCRIPT, server.url, '--duration', '10', '--junit', junit);
    t.diagnostic(run.stdout);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /10 s at 20 requests a second over 10 connections, with the thresholds of staging\n/);
    assert.deepEqual(run.stdout.match(/^(PASS|FAIL) [a-z0-9]+/gm), ['PASS error', 'PASS p99', 'PASS achieved']);
    assert.deepEqual(readJUnit(junit), [
      { name: 'error rate', outcome: 'passed' },
      { name: 'p99 latency', outcome: 'passed' },
      { name: 'achieved rate', outcome: 'passed' },
    ]);
  });

  test('against a server that fails one request in four: the error rate fails, with exit code 1', async (t) => {
    let count = 0;
    const tokens = new Set<string | undefined>();
    const server = createServer((request, response) => {
      tokens.add(request.headers[LOAD_TEST_HEADER] as string | undefined);
      response.writeHead(++count % 4 === 0 ? 503 : 200).end('{}');
    });
    const url = await listenOnLoopback(server);
    t.after(() => server.close());
    const junit = join(temporaryFolder('loadtest-errors', t), 'loadtest.xml');
    const run = await runScriptWith(
      { LOAD_TEST_TOKEN: 'pipeline-secret' },
      SCRIPT,
      url,
      '--duration',
      '2',
      '--junit',
      junit,
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL error rate 2\d\.\d\d % \(\d+ of \d+ answers; at most 1\.00 %\)$/m);
    assert.match(run.stdout, /^PASS p99 /m);
    assert.match(run.stdout, /exempt from the per-IP rate rule/);
    assert.deepEqual([...tokens], ['pipeline-secret']);
    assert.deepEqual(
      readJUnit(junit).map((c) => c.outcome),
      ['failed', 'passed', 'passed'],
    );
  });

  test('against a server that answers after 1.2 s: p99 and the achieved rate fail', async (t) => {
    const server = createServer((_request, response) => {
      setTimeout(() => response.writeHead(200).end('{}'), 1200);
    });
    const url = await listenOnLoopback(server);
    t.after(() => server.closeAllConnections());
    t.after(() => server.close());
    const run = await runScript(
      SCRIPT,
      url,
      '--duration',
      '2',
      '--connections',
      '2',
      '--junit',
      join(temporaryFolder('loadtest-slow', t), 'x.xml'),
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL p99 1\d{3}\.\d ms \(at most 1000 ms\)$/m);
    assert.match(run.stdout, /^FAIL achieved \d\.\d requests a second, .* of 20 \(at least 95\.00 %\)$/m);
    assert.match(run.stdout, /2 threshold\(s\) failed/);
  });

  const { cap } = LOAD_BOUNDS.rate;
  for (const [name, args, message] of [
    ['no URL', [], /^usage: npm run loadtest -- <base-url>/],
    [
      'a remote target on defaults',
      ['http://192.0.2.1', '--duration', '5', '--connections', '2'],
      /^--rate is required against http:\/\/192\.0\.2\.1: only a loopback target runs on defaults$/m,
    ],
    [
      'a rate above the cap',
      ['http://127.0.0.1:9', '--rate', String(cap + 1)],
      new RegExp(`--rate "${cap + 1}" is invalid: expected a whole number of requests a second from 1 to ${cap}`),
    ],
    ['a zero duration', ['http://127.0.0.1:9', '--duration', '0'], /--duration "0" is invalid/],
    [
      'connections that are not a number',
      ['http://127.0.0.1:9', '--connections', 'ten'],
      /--connections "ten" is invalid/,
    ],
    ['a fractional duration', ['http://127.0.0.1:9', '--duration', '1.5'], /--duration "1.5" is invalid/],
    [
      'an unknown environment',
      ['http://127.0.0.1:9', '--environment', 'qa'],
      /--environment "qa" is unknown: expected one of staging, production/,
    ],
    [
      'an environment without a load test',
      ['http://127.0.0.1:9', '--environment', 'production'],
      /production has no promotionChecks\.loadTest in infra\/lib\/environments\.ts/,
    ],
  ] as const) {
    test(`${name}: refused with exit code 1, before any request`, async () => {
      const run = await runScript(SCRIPT, ...args);
      assert.equal(run.code, 1);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  test("staging's promotion checks are valid: within the caps, and the load outlasts the experiment's recovery", () => {
    const settings = STAGING.promotionChecks!;
    assert.doesNotThrow(() => validatePromotionChecks('staging', settings));
    const tooShort = { ...settings, loadTest: { ...settings.loadTest, durationSeconds: 200 } };
    assert.throws(
      () => validatePromotionChecks('staging', tooShort),
      /staging: loadTest.durationSeconds 200 is shorter than the experiment needs \(starts at 60 s, 240 s to recover\)/,
    );
    const overCap = { ...settings, loadTest: { ...settings.loadTest, ratePerSecond: LOAD_BOUNDS.rate.cap + 1 } };
    assert.throws(
      () => validatePromotionChecks('staging', overCap),
      /loadTest.ratePerSecond must be a whole number from 1 to 500/,
    );
  });
});
