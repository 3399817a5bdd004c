import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Type } from 'typebox';
import { withApp } from './helpers/app.ts';
import { IDENTITY } from '../src/identity.ts';

/** A pino destination that keeps the parsed JSON lines. */
function logSink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, stream };
}

test('a failure inside a handler is a 500 that hides the details, logged as an error with the request id', async (t) => {
  const { lines, stream } = logSink();
  const app = await withApp(t, { log: pino({ level: 'info' }, stream) });
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  const response = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-500' } });

  assert.equal(response.statusCode, 500);
  assert.deepEqual(response.json(), {
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'Something went wrong on our side; the request id names it in our logs.',
  });
  assert.doesNotMatch(response.body, /hunter2/);
  const logged = lines.find((line) => line.level === 50);
  assert.ok(logged, 'an error line');
  assert.equal(logged.requestId, 'req-500');
  assert.match(JSON.stringify(logged.err), /hunter2/);
});

test('a bad request is logged at info with the request id and the reason', async (t) => {
  const { lines, stream } = logSink();
  const app = await withApp(t, { log: pino({ level: 'info' }, stream) });
  app.get('/checked', { schema: { querystring: Type.Object({ n: Type.Integer() }) } }, async () => 'ok');
  await app.inject({ url: '/checked?n=x', headers: { 'x-request-id': 'req-400' } });

  const logged = lines.find((line) => line.requestId === 'req-400');
  assert.ok(logged);
  assert.equal(logged.level, 30);
  assert.equal(logged.msg, 'bad request');
  assert.equal(logged.reason, 'n "x" is not valid: expected an integer');
});

test('by default a successful request writes no log line; LOG_REQUESTS turns them on', async (t) => {
  const quiet = logSink();
  const app = await withApp(t, { log: pino({ level: 'info' }, quiet.stream) });
  await app.inject({ url: IDENTITY.healthPath });
  assert.deepEqual(
    quiet.lines.filter((line) => 'requestId' in line),
    [],
  );

  const chatty = logSink();
  const verbose = await withApp(t, { log: pino({ level: 'info' }, chatty.stream), logRequests: true });
  await verbose.inject({ url: IDENTITY.healthPath, headers: { 'x-request-id': 'req-200' } });
  const completed = chatty.lines.find((line) => line.msg === 'request completed');
  assert.ok(completed);
  assert.equal(completed.requestId, 'req-200');
  assert.deepEqual(completed.res, { statusCode: 200 });
});
