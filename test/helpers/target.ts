/**
 * Where the contract suites (test/**\/routes, test/**\/e2e) send their requests: the app in this process, through
 * `inject()`, or, when ACCEPTANCE_BASE_URL is set, a running service over HTTP. `npm run acceptance -- <base-url>`
 * sets it (scripts/acceptance.ts), so that one suite is both the unit test and the acceptance test of a deploy.
 */
import { after } from 'node:test';
import type { AppOptions } from '../../src/app.ts';
import { withApp } from './app.ts';

/** The service the suites test over HTTP, without a trailing slash; undefined: the app in this process. */
export const ACCEPTANCE_BASE_URL = process.env.ACCEPTANCE_BASE_URL?.replace(/\/+$/, '') || undefined;

/**
 * Options for a test that only runs against the app in this process: one that sends what a load balancer or CDN in
 * front of a deployed service rewrites (X-Forwarded-Proto, very long URLs), or asserts the exact set of headers,
 * to which they add their own. The reason says which, and shows in the acceptance report as the skip's reason.
 */
export function inProcessOnly(reason: string): { readonly skip: string | false } {
  return { skip: ACCEPTANCE_BASE_URL === undefined ? false : `in process only: ${reason}` };
}

/** An answer, from `inject()` or from the network, in the shape of light-my-request's. */
export interface Answer {
  readonly statusCode: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  /** Generic, as light-my-request's is, so that a suite reads either answer the same way. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  readonly json: <T = any>() => T;
}

export interface Request {
  /** @default 'GET' */
  readonly method?: 'GET' | 'HEAD';
  /** A path and query, sent as written. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Target {
  /** e.g. http://127.0.0.1:41234, or the acceptance base URL; undefined in process, where nothing listens. */
  readonly baseUrl: string | undefined;
  readonly request: (request: Request) => Promise<Answer>;
  readonly get: (url: string, headers?: Readonly<Record<string, string>>) => Promise<Answer>;
}

function answer(statusCode: number, headers: Record<string, string | undefined>, body: string): Answer {
  return { statusCode, headers, body, json: () => JSON.parse(body) as never };
}

/** Requests over HTTP to a service that runs elsewhere: redirects are answers, as `inject()` gives them. */
export function remoteTarget(baseUrl: string): Target {
  const request = async ({ method = 'GET', url, headers = {} }: Request): Promise<Answer> => {
    const response = await fetch(baseUrl + url, {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
    return answer(response.status, Object.fromEntries(response.headers), await response.text());
  };
  return { baseUrl, request, get: (url, headers) => request({ url, headers }) };
}

/**
 * The target of a file's tests: ACCEPTANCE_BASE_URL when set, else the app with these options, closed after the
 * file's last test.
 */
export async function withTarget(options: AppOptions = {}): Promise<Target> {
  if (ACCEPTANCE_BASE_URL !== undefined) return remoteTarget(ACCEPTANCE_BASE_URL);
  const app = await withApp({ after }, options);
  const request = async ({ method = 'GET', url, headers = {} }: Request): Promise<Answer> => {
    const response = await app.inject({ method, url, headers });
    const flat = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, value?.toString()]));
    return answer(response.statusCode, flat, response.body);
  };
  return { baseUrl: undefined, request, get: (url, headers) => request({ url, headers }) };
}
