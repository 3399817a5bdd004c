import { hash, randomFillSync } from 'node:crypto';
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

const HSTS_RAW = Object.entries(HSTS_HEADER).flat();

const overHttps = (request: FastifyRequest) => request.headers['x-forwarded-proto'] === 'https';

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
 * The clock's answers call it from their handler; every other route has it in an onRequest hook (src/app.ts).
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

/** Whether an If-None-Match header names this ETag (weakly compared, as RFC 9110 asks for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/**
 * For answers that depend on the query alone (/clock and /clock.svg), so browsers and CDNs may keep them. A week, not
 * a year: a release may change how an answer is written or drawn, and the ETag makes asking again after a week cheap.
 * No `public`: nothing here needs authorisation, so shared caches may store the answer without it.
 */
export const CLOCK_CACHE_CONTROL = 'max-age=604800';

/** One answer as sent: the body, serialised once, and its headers. */
export interface Representation {
  readonly body: string;
  readonly etag: string;
  /** API_HEADERS with this Cache-Control, and the ETag, Vary and Content-Type, in one object set at once. */
  readonly headers: Readonly<Record<string, string>>;
  /** The same and Content-Length, as Node's writeHead takes them: name, value, name, value. */
  readonly rawHeaders: readonly string[];
}

export function represent(contentType: string, body: string): Representation {
  const etag = `"${hash('sha256', body, 'base64url').slice(0, 6)}"`;
  const headers = {
    ...API_HEADERS,
    'cache-control': CLOCK_CACHE_CONTROL,
    etag,
    vary: 'accept',
    'content-type': contentType,
  };
  const rawHeaders = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) }).flat();
  return { body, etag, headers, rawHeaders };
}

/**
 * Sends a representation as a 200, straight through Node's response: it is ready to send, headers and all, and
 * Fastify's send pipeline (parsing the content type, onSend hooks, copying headers) cost about 0.8 µs of the 16 an
 * answer took (docs/performance.md). It also keeps the content type as given: Fastify appends `; charset=utf-8` to
 * a JSON type, which RFC 8259 does not define for JSON and which would cost 15 bytes of every answer.
 */
export function sendRepresentation(request: FastifyRequest, reply: FastifyReply, answer: Representation): void {
  const headers = [...answer.rawHeaders, 'x-request-id', request.id];
  if (overHttps(request)) headers.push(...HSTS_RAW);
  void reply.hijack();
  reply.raw.writeHead(200, headers).end(answer.body);
}
