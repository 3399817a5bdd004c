import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_HEADERS, HSTS_HEADER, overHttps } from '../headers.ts';

const HSTS_RAW = Object.entries(HSTS_HEADER).flat();

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
