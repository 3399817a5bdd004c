import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino, type Bindings } from 'pino';
import { LazyRequestLog } from '../src/request-log.ts';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: pino({ level: 'trace' }, stream) };
}

test('makes no child logger until something is logged', () => {
  const { log } = sink();
  let children = 0;
  const parent = Object.create(log, {
    child: { value: (bindings: Bindings) => (children++, log.child(bindings)) },
  }) as FastifyBaseLogger;
  const requestLog = new LazyRequestLog(parent, { requestId: 'r1' });
  assert.equal(requestLog.level, 'trace');
  assert.equal(children, 0);
  requestLog.info('one');
  requestLog.warn('two');
  assert.equal(children, 1);
});

test('every level writes with the request bindings', async () => {
  const { lines, log } = sink();
  const requestLog = new LazyRequestLog(log, { requestId: 'r2' });
  requestLog.trace('t');
  requestLog.debug('d');
  requestLog.info({ reason: 'x' }, 'i');
  requestLog.warn('w');
  requestLog.error('e');
  requestLog.fatal('f');
  requestLog.silent('s');
  requestLog.child({ step: 2 }).info('c');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((line) => [line.level, line.msg, line.requestId]),
    [
      [10, 't', 'r2'],
      [20, 'd', 'r2'],
      [30, 'i', 'r2'],
      [40, 'w', 'r2'],
      [50, 'e', 'r2'],
      [60, 'f', 'r2'],
      [30, 'c', 'r2'],
    ],
  );
  assert.equal(lines[2]!.reason, 'x');
  assert.equal(lines[6]!.step, 2);
});

test('a level set on it applies to this request only', () => {
  const { log } = sink();
  const requestLog = new LazyRequestLog(log, { requestId: 'r3' });
  requestLog.level = 'error';
  assert.equal(requestLog.level, 'error');
  assert.equal(log.level, 'trace');
});

test("a route's own log level, which Fastify passes as the child's options, applies to the request's log", async () => {
  const { lines, log } = sink();
  const requestLog = new LazyRequestLog(log, { requestId: 'r9' }, { level: 'warn' });
  requestLog.info('hidden');
  requestLog.warn('shown');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((line) => [line.requestId, line.msg]),
    [['r9', 'shown']],
  );
});
