/**
 * A client that nobody here wrote: openapi-typescript generates its types from the document the running app serves,
 * health.caller.ts is type-checked against them with the repository's tsc, then calls the app through openapi-fetch.
 * Platform only: it calls /health. The example's own calls are in test/example/routes/clock-client.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateClient, listeningApp } from '../helpers/openapi.ts';

/** What health.caller.ts exports: its own types come from the generated client, which the repository does not have. */
interface HealthCaller {
  health(baseUrl: string, query?: Record<string, string>): Promise<unknown>;
}

const { url } = await listeningApp();
const client = await generateClient(url, [join(import.meta.dirname, 'health.caller.ts')]);
// Types are stripped when it runs, so it runs even when it does not type-check: that test and these fail apart.
const caller = (await import(pathToFileURL(join(client.dir, 'health.caller.ts')).href)) as HealthCaller;

test('health.caller.ts type-checks against the client generated from the served document', () => {
  assert.equal(client.typeErrors, '');
});

test('GET /health through the generated client answers ok', async () => {
  assert.deepEqual(await caller.health(url), { status: 200, health: 'ok' });
});

test('GET /health with a query gets the documented 400, typed as the shared ErrorBody', async () => {
  assert.deepEqual(await caller.health(url, { verbose: '1' }), {
    status: 400,
    statusCode: 400,
    error: 'Bad Request',
    message: 'unknown query parameter "verbose": expected no query',
  });
});
