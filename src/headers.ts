import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What every answer carries, JSON and plain text included: the set the OWASP REST Security Cheat Sheet asks of an
 * API, less the Content-Type each answer sets itself. `no-store` is the default; an answer that may be cached (the
 * clock's) says so itself. X-Frame-Options rather than CSP `frame-ancestors 'none'`: the same protection in 23 bytes,
 * not 49, on every answer.
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * What documents a browser renders need on top of API_HEADERS: HTML pages, Swagger UI and the SVG clock face (an SVG
 * opened on its own is a document that could run script). The CSP is as strict as Swagger UI allows: its scripts are
 * files of our own, but it styles elements inline, as the /mirror page's inlined stylesheet does, hence
 * `style-src 'unsafe-inline'`.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "base-uri 'self'",
    "connect-src 'self'",
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
  ].join('; '),
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
};

/**
 * Sent only when the request reached the load balancer over HTTPS, which terminates TLS and says so in
 * X-Forwarded-Proto: RFC 6797 forbids the header over plain HTTP, where browsers ignore it anyway. A forged
 * X-Forwarded-Proto therefore gains a caller nothing.
 */
export const HSTS_HEADER = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } as const;

/** An onRequest hook for the routes whose answers a browser renders as documents: PAGE_HEADERS on top of the rest. */
export function addPageHeaders(_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.headers(PAGE_HEADERS);
  done();
}

export const overHttps = (request: FastifyRequest) => request.headers['x-forwarded-proto'] === 'https';

/** A caller's request id is kept when it is short and plain; anything else could forge or flood log lines. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * 72 random bits, as 12 base64url characters: unique across every task and restart for as long as logs are kept,
 * in a third of a UUID's 36 characters. The random bytes are drawn 512 ids at a time.
 */
const ID_BYTES = 9;
const idPool = Buffer.alloc(ID_BYTES * 512);
let idOffset = idPool.length;

function newRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  return idPool.toString('base64url', idOffset, (idOffset += ID_BYTES));
}

export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : newRequestId();
}

/**
 * API_HEADERS (or a set that includes them), the request id, and HSTS where it applies: what every answer carries.
 * Every route has it in an onRequest hook (src/app.ts), but one that sends its answer whole and calls it itself.
 */
export function setResponseHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  headers: Readonly<Record<string, string>> = API_HEADERS,
): void {
  reply.headers(headers);
  reply.header('x-request-id', request.id);
  if (overHttps(request)) reply.headers(HSTS_HEADER);
}
