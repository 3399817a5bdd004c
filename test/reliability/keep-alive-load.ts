import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUSY } from '../helpers/busy-request.ts';

export const ANSWER = BUSY.answer;

/** One request of the drill's client, with times in ms from the start of the load. */
export interface Outcome {
  readonly lane: number;
  readonly sentMs: number;
  readonly endedMs: number;
  /** The socket had carried a request before this one. */
  readonly reused: boolean;
  readonly status?: number;
  /** The server that answered, as the load balancer names it (its x-target header). */
  readonly target?: string;
  readonly error?: string;
  /** A 200 with the expected body. */
  readonly ok: boolean;
}

export interface LoadOptions {
  /** Connections: one keep-alive socket per lane, reused from request to request as a browser or a proxy does. */
  readonly lanes: number;
  /** Pause after each answer on a lane, before the next request on the same socket. */
  readonly pauseMs: (lane: number, sequence: number) => number;
  /** Bounds: the load stops at whichever comes first, or at stop(). */
  readonly maxRequests: number;
  readonly maxMs: number;
  /** A request unanswered this long counts as failed. */
  readonly requestTimeoutMs: number;
}

export interface Load {
  readonly outcomes: readonly Outcome[];
  /** ms since the load started. */
  now(): number;
  /** Requests sent and not yet answered. */
  inFlight(): number;
  /** Stops sending, waits for the answers still due, and returns every outcome. */
  stop(): Promise<Outcome[]>;
}

/** Continuous load on `url` through keep-alive sockets, bounded in count and in time. */
export function startLoad(url: string, options: LoadOptions): Load {
  const began = performance.now();
  const now = () => performance.now() - began;
  const outcomes: Outcome[] = [];
  const agents: Agent[] = [];
  // Ends the pauses at stop(), so that a lane that pauses for a minute does not hold the end of the load.
  const stopping = new AbortController();
  let stopped = false;
  let inFlight = 0;
  let sent = 0;

  const once = (lane: number, agent: Agent) =>
    new Promise<Outcome>((resolve) => {
      const sentMs = now();
      inFlight++;
      const finish = (outcome: Omit<Outcome, 'lane' | 'sentMs' | 'endedMs' | 'reused'>) => {
        inFlight--;
        resolve({ lane, sentMs, endedMs: now(), reused: req.reusedSocket, ...outcome });
      };
      const req = request(`${url}${BUSY.path}`, {
        agent,
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const target = res.headers['x-target'] as string | undefined;
          finish({
            status: res.statusCode!,
            ok: res.statusCode === 200 && body === ANSWER,
            ...(target ? { target } : {}),
          });
        });
        res.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.name, ok: false }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.name, ok: false }));
      req.end();
    });

  const lanes = Array.from({ length: options.lanes }, async (_, lane) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let sequence = 0; !stopped && sent < options.maxRequests && now() < options.maxMs; sequence++) {
      sent++;
      outcomes.push(await once(lane, agent));
      const pause = options.pauseMs(lane, sequence);
      if (pause > 0) await sleep(pause, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  });

  return {
    outcomes,
    now,
    inFlight: () => inFlight,
    async stop() {
      stopped = true;
      stopping.abort();
      await Promise.all(lanes);
      for (const agent of agents) agent.destroy();
      return outcomes;
    },
  };
}

export interface Summary {
  readonly requests: number;
  readonly failures: number;
  readonly serverErrors: number;
  readonly p99Ms: number;
  /** Requests answered by each target. */
  readonly byTarget: Readonly<Record<string, number>>;
  /** Failed requests by cause: an HTTP status, or a socket error code. */
  readonly failuresBy: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(outcomes: readonly Outcome[]): Summary {
  const latencies = outcomes.map((o) => o.endedMs - o.sentMs).sort((a, b) => a - b);
  const byTarget: Record<string, number> = {};
  const failuresBy: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.target !== undefined) byTarget[o.target] = (byTarget[o.target] ?? 0) + 1;
    if (!o.ok) {
      const cause = o.error ?? String(o.status);
      failuresBy[cause] = (failuresBy[cause] ?? 0) + 1;
    }
  }
  return {
    requests: outcomes.length,
    failures: outcomes.filter((o) => !o.ok).length,
    serverErrors: outcomes.filter((o) => (o.status ?? 0) >= 500).length,
    p99Ms: percentile(latencies, 99),
    byTarget,
    failuresBy,
  };
}
