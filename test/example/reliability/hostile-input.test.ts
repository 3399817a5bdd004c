import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_HEADERS, PAGE_HEADERS } from '../../../src/headers.ts';
import { startServerProcess } from '../../../tools/server-process.ts';
import { generate, oracle, type Case } from './hostile-input.ts';
import { RawConnection, type Outcome } from '../../reliability/raw-http.ts';
import { SEED, SETTINGS } from '../../reliability/settings.ts';

const LANES = 8;
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What is wrong with one answer, or undefined when the contract holds. */
function judge(c: Case, outcome: Outcome): string | undefined {
  if (!('response' in outcome)) {
    return c.expect.kind === 'malformed' ? undefined : 'the connection closed without an answer';
  }
  const { status, headers, body } = outcome.response;
  if (!(status >= 400 && status < 500) && status !== 200) return `status ${status}`;
  const type = headers['content-type'] ?? '';
  const text = body.toString('utf8');

  if (status >= 400 && type.startsWith('application/json')) {
    // Error messages quote what the caller sent, escaped: nothing outside printable ASCII but the ellipsis that
    // marks a quote cut short, and no < > &.
    if (/[^\x20-\x7e]|[<>&]/.test(text.replaceAll('…', '')))
      return `error body reflects input raw: ${text.slice(0, 200)}`;
    const parsed = JSON.parse(text) as { statusCode?: unknown; message?: unknown };
    if (parsed.statusCode !== status || typeof parsed.message !== 'string') return `error body ${text.slice(0, 200)}`;
  }
  // In HTML, a raw < opens a tag and a raw " closes an attribute; a page may show neither from the input. (A
  // short one like `<b` proves nothing: the page has its own tags and quotes.)
  const typed = c.typed ?? '';
  if (type.startsWith('text/html') && /[<"]/.test(typed) && typed.length >= 6) {
    if (text.includes(typed)) return 'the page reflects the input unescaped';
  }
  if (c.wellFormed && c.expect.kind !== 'too-large') {
    // Cache-Control is the one header an answer may set for itself.
    const expected = { ...API_HEADERS, ...(type.startsWith('text/html') ? PAGE_HEADERS : {}) };
    for (const [name, value] of Object.entries(expected)) {
      if (name !== 'cache-control' && headers[name] !== value) return `header ${name} is ${headers[name]}`;
    }
    if (headers['cache-control'] === undefined) return 'no cache-control header';
    const id = headers['x-request-id'] ?? '';
    if (!SANE_ID.test(id)) return `x-request-id ${JSON.stringify(id)}`;
    if (c.requestId !== undefined && (id === c.requestId) !== SANE_ID.test(c.requestId)) {
      return `x-request-id ${JSON.stringify(id)} for a caller's ${JSON.stringify(c.requestId)}`;
    }
  }
  if (status === 200 && type.startsWith('application/json') && text.startsWith('{"mirror_time"')) {
    // Whatever time was asked, a 200 from /clock must be a right answer.
    const answer = JSON.parse(text) as { mirror_time: string; actual_time: string };
    if (oracle(answer.mirror_time)?.actual_time !== answer.actual_time) return `wrong answer ${text}`;
  }

  switch (c.expect.kind) {
    case 'clock': {
      const { answer, accept } = c.expect;
      if (answer === undefined) return status === 400 ? undefined : `status ${status} for an invalid query`;
      if (accept === 'text/html') return status === 406 ? undefined : `status ${status} for Accept: text/html`;
      if (status !== 200) return `status ${status} for a valid query`;
      if (accept === 'text/plain') {
        return type === 'text/plain; charset=utf-8' && text === answer.actual_time ? undefined : `text answer ${text}`;
      }
      return type === 'application/json' && text === JSON.stringify(answer) ? undefined : `answer ${text}`;
    }
    case 'client-error':
      return status >= 400 ? undefined : `status ${status} for a path that names nothing`;
    case 'too-large':
      return status === 431 ? undefined : `status ${status} for an oversized header section`;
    case 'page':
    case 'malformed':
      return undefined;
  }
}

test(`${SETTINGS.hostileRequests} generated hostile requests (seed ${SEED}): 4xx or a correct 200, never a 5xx`, async (t) => {
  const cases = generate(SEED, SETTINGS.hostileRequests);
  const server = await startServerProcess();
  const failures: string[] = [];
  const statuses = new Map<string, number>();
  try {
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const connection = new RawConnection(server.port);
        let previous = 'none';
        for (let index = lane; index < cases.length; index += LANES) {
          const c = cases[index]!;
          // A request that is not valid HTTP may leave the connection in any state: give it one of its own.
          if (!c.wellFormed) connection.close();
          const outcome = await connection.exchange(c.request, { last: !c.wellFormed });
          if (!c.wellFormed) connection.close();
          const key = 'response' in outcome ? String(outcome.response.status) : 'closed';
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          const problem = judge(c, outcome);
          if (problem !== undefined && failures.length < 20) {
            failures.push(
              `#${index} ${c.label} (after ${previous}): ${problem}\n    ${JSON.stringify(c.request.toString('latin1').slice(0, 300))}`,
            );
          }
          previous = `#${index} ${c.label}`;
        }
        connection.close();
      }),
    );

    // Alive, and still right, afterwards.
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    const answer = await fetch(`${server.url}/clock?mirror_time=12:22`);
    assert.deepEqual(await answer.json(), { mirror_time: '12:22', actual_time: '11:38' });
    assert.equal(server.child.exitCode, null);
  } finally {
    server.kill();
  }

  assert.deepEqual(failures, [], `replay with RELIABILITY_SEED=${SEED}`);
  // Nothing the service logged was an error: a 5xx would have been logged at level 50 with its request id.
  assert.doesNotMatch(server.output(), /"level":(5|6)0/);
  const summary = [...statuses].sort().map(([status, count]) => `${status}: ${count}`);
  assert.ok(!summary.some((line) => line.startsWith('5')), summary.join(', '));
  // The generator must really reach both sides of the contract.
  assert.ok(
    (statuses.get('200') ?? 0) > cases.length / 10 && (statuses.get('400') ?? 0) > cases.length / 10,
    summary.join(', '),
  );
  t.diagnostic(`statuses, seed ${SEED}: ${summary.join(', ')}`);
});
