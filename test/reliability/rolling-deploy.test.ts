import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServerProcess } from '../../tools/server-process.ts';
import { SETTINGS } from './settings.ts';
import { BUSY } from '../helpers/busy-request.ts';

const ANSWER = BUSY.answer;
const LANES = 16;
/** Longer than any answer may take; a request still open then was left hanging. */
const HANG_MS = 3_000;

interface Attempt {
  readonly id: string;
  readonly keepAlive: boolean;
  readonly sentAfterSignal: boolean;
  readonly endedAfterSignal: boolean;
  readonly ms: number;
  readonly status?: number;
  readonly connection?: string;
  readonly body?: string;
  readonly error?: string;
}

function attempt(port: number, id: string, agent: Agent | false, signalled: () => boolean): Promise<Attempt> {
  const started = performance.now();
  const base = { id, keepAlive: agent !== false, sentAfterSignal: signalled() };
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: BUSY.path,
        agent,
        headers: { 'x-request-id': id },
        signal: AbortSignal.timeout(HANG_MS),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            ...base,
            endedAfterSignal: signalled(),
            ms: performance.now() - started,
            status: res.statusCode!,
            connection: res.headers.connection ?? '',
            body,
          }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ...base,
        endedAfterSignal: signalled(),
        ms: performance.now() - started,
        error: error.code ?? error.name,
      }),
    );
    req.end();
  });
}

test('rolling deploy: SIGTERM under steady load finishes what was accepted, refuses the rest, exits 0 in 5 s', async (t) => {
  // LOG_REQUESTS=true: the log then says which request ids the server took in, and in what order with the signal.
  const server = await startServerProcess({ env: { LOG_REQUESTS: 'true' } });
  const idleAgent = new Agent({ keepAlive: true });
  const agents: Agent[] = [idleAgent];
  try {
    // Bystanders: idle keep-alive connections and sockets that never send a byte must not hold the exit up.
    const idle = await Promise.all(
      Array.from({ length: 4 }, (_, i) => attempt(server.port, `idle-${i}`, idleAgent, () => false)),
    );
    assert.ok(idle.every((a) => a.status === 200));
    const silent = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = connect(server.port, '127.0.0.1');
        await once(socket, 'connect');
        socket.on('error', () => undefined);
        return { closed: new Promise((resolve) => socket.once('close', resolve)) };
      }),
    );

    let signalled = false;
    let signalAt = 0;
    const attempts: Attempt[] = [...idle];
    const lanes = Array.from({ length: LANES }, async (_, lane) => {
      // Half the lanes reuse one keep-alive connection, as a load balancer does; half connect for every request.
      const agent = lane % 2 === 0 ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
      if (agent) agents.push(agent);
      for (let n = 0; ; n++) {
        const result = await attempt(server.port, `drill-${lane}-${n}`, agent, () => signalled);
        attempts.push(result);
        // Keep knocking after the signal until the door is shut: that is what proves it refuses, not hangs.
        if (signalled && (result.error === 'ECONNREFUSED' || performance.now() - signalAt > HANG_MS)) return;
      }
    });

    await sleep(SETTINGS.drillLoadMs);
    signalled = true;
    signalAt = performance.now();
    server.child.kill('SIGTERM');
    const exit = await Promise.race([server.exited, sleep(5_000).then(() => 'still running' as const)]);
    const exitMs = performance.now() - signalAt;
    await Promise.all(lanes);

    assert.notEqual(exit, 'still running', server.output().slice(-2_000));
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(exitMs < 5_000);
    await Promise.all(silent.map((socket) => socket.closed));

    // What the server took in, from its own log: "incoming request" once routed; the closing 503 logs instead.
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    const signalLine = lines.findIndex((line) => line.msg === 'shutting down');
    assert.ok(signalLine > 0, 'the server logged the signal');
    const routed = new Map(
      lines.flatMap((line, index) => (line.msg === 'incoming request' ? [[line.requestId!, index]] : [])),
    );
    const refused = new Set(
      lines.filter((line) => line.msg.startsWith('request aborted')).map((line) => line.requestId!),
    );
    const acceptedBeforeSignal = [...routed].filter(([, index]) => index < signalLine).map(([id]) => id);

    const byId = new Map(attempts.map((a) => [a.id, a]));
    const problems: string[] = [];
    for (const a of attempts) {
      if (a.ms >= HANG_MS) problems.push(`${a.id} hung for ${Math.round(a.ms)} ms`);
      if (routed.has(a.id) && (a.status !== 200 || a.body !== ANSWER)) {
        problems.push(`${a.id} was accepted but ended ${a.status ?? a.error}`);
      } else if (a.status === 503) {
        // Fastify's drain answer, for a request that reached a connection already open after the signal.
        if (!refused.has(a.id) || a.connection !== 'close')
          problems.push(`${a.id}: 503 with connection ${a.connection}`);
      } else if (a.error !== undefined) {
        // The server never saw these: a refused connect, or a keep-alive socket it closed as the request left.
        if (!['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(a.error) || refused.has(a.id)) {
          problems.push(`${a.id}: ${a.error}`);
        }
      } else if (a.status !== 200 || a.body !== ANSWER) {
        problems.push(`${a.id}: ${a.status} ${a.body}`);
      }
    }
    assert.deepEqual(problems.slice(0, 20), []);
    // The precise contract: every request the server took in before the signal ended with the 200 and the answer.
    for (const id of acceptedBeforeSignal) assert.equal(byId.get(id)?.status, 200, id);

    const count = (predicate: (a: Attempt) => boolean) => attempts.filter(predicate).length;
    const summary = {
      acceptedBeforeSignal: acceptedBeforeSignal.length,
      // Sent before the signal, answered after it: in flight when it came.
      inFlightAtSignal: count((a) => !a.sentAfterSignal && a.endedAfterSignal && a.status === 200),
      okAfterSignal: count((a) => a.sentAfterSignal && a.status === 200),
      drained503: count((a) => a.status === 503),
      refused: count((a) => a.error === 'ECONNREFUSED'),
      resetUnseen: count((a) => a.error === 'ECONNRESET' || a.error === 'EPIPE'),
      exitMs: Math.round(exitMs),
    };
    t.diagnostic(JSON.stringify(summary));
    assert.ok(summary.acceptedBeforeSignal >= 50, 'the load was steady before the signal');
    assert.ok(summary.inFlightAtSignal > 0, 'some requests were in flight when the signal came');
    assert.ok(summary.refused > 0, 'connections after the signal were refused');
  } finally {
    for (const agent of agents) agent.destroy();
    server.kill();
  }
});
