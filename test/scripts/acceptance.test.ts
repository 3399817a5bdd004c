/**
 * `npm run acceptance -- <base-url>`: the contract and browser suites against a running service. It passes against
 * the built server, and fails, naming the case, against a server that answers one time wrong. (The image: in
 * test/container/acceptance.test.ts.)
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { startServerProcess } from '../../tools/server-process.ts';
import { readJUnit } from '../helpers/junit.ts';
import { listenOnLoopback, runScript } from '../helpers/script-run.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

const SCRIPT = 'scripts/acceptance.ts';

suite('npm run acceptance', () => {
  // The browser suites run against the server in npm test already, as themselves, and against the image in
  // test/container/image.test.ts: here the HTTP suites show what the script adds, the target and the report.
  test('against the built server: the HTTP suites pass, the in-process-only tests are skipped, and JUnit says so', async (t) => {
    const server = await startServerProcess();
    t.after(() => server.kill());
    const junit = join(temporaryFolder('acceptance', t), 'acceptance.xml');
    const run = await runScript(SCRIPT, server.url, '--junit', junit, '--suites', 'http');
    t.diagnostic(`acceptance against the server in ${Math.round(run.elapsedMs)} ms`);
    assert.equal(run.code, 0, run.stdout.slice(-4000) + run.stderr);
    const cases = readJUnit(junit);
    assert.deepEqual(
      cases.filter((c) => c.outcome === 'failed'),
      [],
    );
    // The contract suites and the generated client ran; the browser suites are not asked for.
    const passed = cases.filter((c) => c.outcome === 'passed').map((c) => c.name);
    assert.ok(passed.length > 90, `${passed.length} passed`);
    for (const name of ['05:25 → 06:35', 'the worked examples, through the generated client']) {
      assert.ok(passed.includes(name), name);
    }
    assert.ok(!passed.some((name) => /"Try it out"/.test(name)), 'the browser suites ran, though not asked for');
    const skipped = cases.filter((c) => c.outcome === 'skipped').map((c) => c.name);
    assert.ok(skipped.includes('HSTS only when the load balancer received the request over HTTPS'), skipped.join());
    assert.match(run.stdout, /# in process only: the load balancer sets X-Forwarded-Proto itself/);
  });

  test('against a server that answers one time wrong: it fails, and names that case', async (t) => {
    const server = await startServerProcess();
    t.after(() => server.kill());
    // The real service, but for 01:50 (however the colon is spelt), which it answers 10:11 instead of 10:10.
    const wrong = createServer((incoming, outgoing) => {
      if (/^\/clock\?mirror_time=01(:|%3A)50$/i.test(incoming.url ?? '')) {
        outgoing.writeHead(200, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ mirror_time: '01:50', actual_time: '10:11' }));
        return;
      }
      const upstream = request(
        `${server.url}${incoming.url}`,
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(upstream);
    });
    const url = await listenOnLoopback(wrong);
    t.after(() => wrong.close());
    const junit = join(temporaryFolder('acceptance-wrong', t), 'acceptance.xml');
    const run = await runScript(SCRIPT, url, '--junit', junit, '--suites', 'http');
    t.diagnostic(`acceptance against the wrong server in ${Math.round(run.elapsedMs)} ms`);
    assert.equal(run.code, 1, run.stdout.slice(-4000));
    const failed = readJUnit(junit)
      .filter((c) => c.outcome === 'failed')
      .map((c) => c.name);
    // The route's own case and the generated client's worked examples; and the suites that hold them.
    assert.ok(failed.includes('01:50 → 10:10'), failed.join('\n'));
    assert.ok(failed.includes('the worked examples, through the generated client'), failed.join('\n'));
    assert.deepEqual(
      failed.filter(
        (name) => !['01:50 → 10:10', 'the worked examples, through the generated client', 'GET /clock'].includes(name),
      ),
      [],
    );
    assert.match(run.stdout, /✖ 01:50 → 10:10/);
    assert.match(run.stdout, /actual_time: '10:11'/);
  });

  for (const [name, args, message] of [
    ['no URL', [], /^usage: npm run acceptance -- <base-url>/],
    ['a URL that is not http(s)', ['ftp://127.0.0.1/'], /"ftp:\/\/127\.0\.0\.1\/" is not an http\(s\) URL/],
    [
      'an unknown suite',
      ['http://127.0.0.1:1', '--suites', 'unit'],
      /--suites "unit" is invalid: expected all, http or browser/,
    ],
  ] as const) {
    test(`${name}: exit code 1 and what is wrong`, async () => {
      const run = await runScript(SCRIPT, ...args);
      assert.equal(run.code, 1);
      assert.match(run.stderr, message);
    });
  }
});
