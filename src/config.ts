/**
 * The only module that reads the environment. Every value is parsed and
 * checked here, once, so that a bad setting stops the process before it listens.
 */
import { IDENTITY } from './identity.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** Log a line for every request, not only for errors. Costs throughput: see docs/performance.md. */
  readonly logRequests: boolean;
  /** Must exceed the load balancer's idle timeout (ALB: 60 s), or the ALB may reuse a socket we just closed: a 502. */
  readonly keepAliveTimeoutMs: number;
  /** Time a client has to send its request headers; cuts off clients that trickle them byte by byte. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send its whole request. */
  readonly requestTimeoutMs: number;
  /** How long shutdown waits for requests in flight before closing every socket. Below ECS's stopTimeout. */
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

const HOUR_MS = 3_600_000;

export function loadConfig(env: Env = process.env): Config {
  const config: Config = {
    port: integer(env, 'PORT', IDENTITY.port, 0, 65535),
    host: env.HOST || '0.0.0.0',
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    logRequests: oneOf(env, 'LOG_REQUESTS', 'false', ['true', 'false']) === 'true',
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, HOUR_MS),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, HOUR_MS),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, HOUR_MS),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, HOUR_MS),
  };
  // Node rejects a headers timeout above the request timeout when the server starts; say so here instead.
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS=${config.headersTimeoutMs} is invalid: expected at most REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`,
    );
  }
  return config;
}
