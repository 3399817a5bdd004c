/**
 * /clock through a client that nobody here wrote: openapi-typescript generates its types from the document the running
 * app serves, clock.caller.ts is type-checked against them with the repository's tsc, then asks the worked examples
 * through openapi-fetch, and gets the documented 400 and 406 as the shared ErrorBody.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKED_EXAMPLES } from '../../../src/example/worked-examples.ts';
import { EXAMPLE_ROUTES } from '../../../src/example/plugin.ts';
import { generateClient, listeningApp } from '../../helpers/openapi.ts';
import { ACCEPTANCE_BASE_URL } from '../../helpers/target.ts';

/** What clock.caller.ts exports: its own types come from the generated client, which the repository does not have. */
interface ClockCaller {
  realTime(baseUrl: string, mirrorTime: string, accept?: string): Promise<unknown>;
  realTimeAsText(baseUrl: string, mirrorTime: string): Promise<unknown>;
}

const url = ACCEPTANCE_BASE_URL ?? (await listeningApp({ routes: EXAMPLE_ROUTES })).url;
const client = await generateClient(url, [join(import.meta.dirname, 'clock.caller.ts')]);
// Types are stripped when it runs, so it runs even when it does not type-check: that test and these fail apart.
const caller = (await import(pathToFileURL(join(client.dir, 'clock.caller.ts')).href)) as ClockCaller;

test('clock.caller.ts type-checks against the client generated from the served document', () => {
  assert.equal(client.typeErrors, '');
});

test('the worked examples, through the generated client', async () => {
  for (const [mirrorTime, actualTime] of WORKED_EXAMPLES) {
    assert.deepEqual(await caller.realTime(url, mirrorTime), { status: 200, mirrorTime, actualTime });
  }
});

test('the real time as plain text, through the generated client', async () => {
  assert.deepEqual(await caller.realTimeAsText(url, '12:22'), { status: 200, actualTime: '11:38' });
});

test('a time that is not one gets the documented 400, typed as the shared ErrorBody', async () => {
  assert.deepEqual(await caller.realTime(url, '13:20'), {
    status: 400,
    statusCode: 400,
    error: 'Bad Request',
    message: 'mirror_time "13:20" is not valid: expected HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)',
  });
});

test('an Accept header that allows neither JSON nor text gets the documented 406, typed as the shared ErrorBody', async () => {
  assert.deepEqual(await caller.realTime(url, '12:22', 'image/png'), {
    status: 406,
    statusCode: 406,
    error: 'Not Acceptable',
    message: 'Accept "image/png" allows neither application/json nor text/plain',
  });
});
