/**
 * The bundle (`npm run build`, scripts/build.ts) against the source it is built from. Every other test of the app
 * runs src/ with schemas compiled at start-up; the bundle runs validators and serialisers compiled at build time.
 * Here both answer the same requests, one for every compiled function, and must answer alike.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, type App } from '../../src/app.ts';
import { ROOT } from '../../tools/root.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';

interface Probe {
  readonly method?: 'GET' | 'HEAD';
  readonly url: string;
  readonly headers?: Record<string, string>;
}

const etagOf = async (bundle: ServerProcess, url: string) =>
  (await fetch(`${bundle.url}${url}`, { method: 'HEAD' })).headers.get('etag')!;

const PROBES: readonly Probe[] = [
  // /clock: the query validator, and the 200 (JSON and text), 400 and 406 serialisers, for GET and HEAD.
  { url: '/clock?mirror_time=12:22' },
  { url: '/clock?mirror_time=1:05:09' },
  { method: 'HEAD', url: '/clock?mirror_time=12:22' },
  { url: '/clock?mirror_time=12:22', headers: { accept: 'text/plain' } },
  { method: 'HEAD', url: '/clock?mirror_time=12:22', headers: { accept: 'text/plain' } },
  { url: '/clock?mirror_time=12:22', headers: { accept: 'image/png' } },
  { method: 'HEAD', url: '/clock?mirror_time=12:22', headers: { accept: 'image/png' } },
  { url: '/clock' },
  { url: '/clock?mirror_time=' },
  { url: '/clock?mirror_time=13:20' },
  { url: '/clock?mirror_time=00:20' },
  { url: '/clock?mirror_time=%E2%9C%93' },
  { url: `/clock?mirror_time=${'1'.repeat(200)}` },
  { url: '/clock?mirror_time=12:22&mirror_time=01:00' },
  { url: '/clock?mirror_time=12:22&tz=UTC' },
  { method: 'HEAD', url: '/clock?mirror_time=99:99' },
  // /clock.svg: its validator (time, view), 200, 304 and 400.
  { url: '/clock.svg?time=12:22' },
  { url: '/clock.svg?time=12:22&view=mirror' },
  { method: 'HEAD', url: '/clock.svg?time=03:00&view=actual' },
  { url: '/clock.svg?time=12:22&view=sideways' },
  { url: '/clock.svg?time=12:60' },
  { url: '/clock.svg' },
  { method: 'HEAD', url: '/clock.svg?view=mirror' },
  // /mirror: its validator, with and without a time.
  { url: '/mirror' },
  { url: '/mirror?time=12:22' },
  { url: '/mirror?time=nope' },
  { method: 'HEAD', url: '/mirror?time=12:22&x=1' },
  // /health's validator and serialisers (its 400 through the shared ErrorBody), and a path with no route.
  { url: '/health' },
  { method: 'HEAD', url: '/health' },
  { url: '/health?verbose=1' },
  { url: '/nope' },
];

/** What must match: status, content type and body; not the request id, which differs by design. */
const comparable = (status: number, headers: Record<string, unknown>, body: string) => ({
  status,
  contentType: headers['content-type'],
  etag: headers.etag,
  body,
});

suite('the bundle, against the source', () => {
  let bundle: ServerProcess;
  let source: App;
  before(async () => {
    bundle = await startServerProcess();
    source = await buildApp();
  });
  after(async () => {
    bundle.kill();
    await source.close();
  });

  test('dist/server.js carries the route schemas compiled at build time', () => {
    const text = readFileSync(join(ROOT, 'dist/server.js'), 'utf8');
    for (const key of ['GET /clock querystring', 'GET /clock 200 application/json', 'HEAD /mirror querystring'])
      assert.ok(text.includes(JSON.stringify(key)), key);
  });

  test('the started bundle has not loaded undici, which an ES import of node:http would (nodejs/node#59686)', () => {
    const script = [
      "const { main } = await import('./dist/server.js');",
      "const running = await main({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });",
      'await running.shutdown();',
      'console.log(JSON.stringify(process.moduleLoadList));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const loaded = JSON.parse(run.stdout) as string[];
    assert.ok(loaded.includes('NativeModule http'), 'the list names the built-ins loaded');
    assert.deepEqual(
      loaded.filter((module) => module.includes('undici')),
      [],
    );
  });

  for (const probe of PROBES) {
    const method = probe.method ?? 'GET';
    test(`${method} ${probe.url}${probe.headers ? ` ${JSON.stringify(probe.headers)}` : ''}: the same answer`, async () => {
      const response = await fetch(`${bundle.url}${probe.url}`, { method, headers: probe.headers ?? {} });
      const fromBundle = comparable(response.status, Object.fromEntries(response.headers), await response.text());
      const injected = await source.inject({ method, url: probe.url, headers: probe.headers ?? {} });
      assert.deepEqual(fromBundle, comparable(injected.statusCode, injected.headers, injected.body));
    });
  }

  test('a conditional request for the SVG gets the same 304', async () => {
    const etag = await etagOf(bundle, '/clock.svg?time=12:22');
    const headers = { 'if-none-match': etag };
    const response = await fetch(`${bundle.url}/clock.svg?time=12:22`, { headers });
    const injected = await source.inject({ url: '/clock.svg?time=12:22', headers });
    assert.equal(response.status, 304);
    assert.deepEqual(
      comparable(response.status, Object.fromEntries(response.headers), await response.text()),
      comparable(injected.statusCode, injected.headers, injected.body),
    );
  });
});
