/**
 * The bundle (`npm run build`, scripts/build.ts) against the source it is built from: a suite that asks both the same
 * requests and holds them to the same answers. The bundle runs validators and serialisers compiled at build time; the
 * source compiles them at start-up.
 */
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp, type App } from '../../src/app.ts';
import { SERVICE_ROUTES } from '../../src/service.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';

export interface Probe {
  readonly method?: 'GET' | 'HEAD';
  readonly url: string;
  readonly headers?: Record<string, string>;
}

/** What must match: status, content type and body; not the request id, which differs by design. */
const comparable = (status: number, headers: Record<string, unknown>, body: string) => ({
  status,
  contentType: headers['content-type'],
  etag: headers.etag,
  body,
});

/** Defines a suite: each probe, and a conditional request with the ETag of each one in `conditional`. */
export function sameAnswersAsTheSource(
  name: string,
  probes: readonly Probe[],
  conditional: readonly string[] = [],
): void {
  suite(name, () => {
    let bundle: ServerProcess;
    let source: App;
    before(async () => {
      bundle = await startServerProcess();
      source = await buildApp({ routes: SERVICE_ROUTES });
    });
    after(async () => {
      bundle.kill();
      await source.close();
    });

    for (const probe of probes) {
      const method = probe.method ?? 'GET';
      test(`${method} ${probe.url}${probe.headers ? ` ${JSON.stringify(probe.headers)}` : ''}: the same answer`, async () => {
        const response = await fetch(`${bundle.url}${probe.url}`, { method, headers: probe.headers ?? {} });
        const fromBundle = comparable(response.status, Object.fromEntries(response.headers), await response.text());
        const injected = await source.inject({ method, url: probe.url, headers: probe.headers ?? {} });
        assert.deepEqual(fromBundle, comparable(injected.statusCode, injected.headers, injected.body));
      });
    }

    for (const url of conditional) {
      test(`a conditional request for ${url} gets the same 304`, async () => {
        const etag = (await fetch(`${bundle.url}${url}`, { method: 'HEAD' })).headers.get('etag')!;
        const headers = { 'if-none-match': etag };
        const response = await fetch(`${bundle.url}${url}`, { headers });
        const injected = await source.inject({ url, headers });
        assert.equal(response.status, 304);
        assert.deepEqual(
          comparable(response.status, Object.fromEntries(response.headers), await response.text()),
          comparable(injected.statusCode, injected.headers, injected.body),
        );
      });
    }
  });
}
