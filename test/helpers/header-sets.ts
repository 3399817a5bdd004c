import assert from 'node:assert/strict';
import { API_HEADERS, PAGE_HEADERS } from '../../src/headers.ts';

/** What an answer carries: the API's set, or a document's (the API's and the page's). */
const HEADER_SETS = { api: API_HEADERS, page: { ...API_HEADERS, ...PAGE_HEADERS } };
export type HeaderSet = keyof typeof HEADER_SETS;

// What light-my-request adds to every injected answer, as Node's server does on a socket.
const TRANSPORT = ['connection', 'content-length', 'date'];

/**
 * The answer carries exactly that set, its content type and a generated request id, and `cacheable` (the validators
 * of an answer that may be cached) besides: nothing missing, nothing more.
 */
export function assertHeaderSet(
  response: { readonly headers: Readonly<Record<string, unknown>> },
  set: HeaderSet,
  cacheable: readonly string[] = [],
) {
  assert.deepEqual(
    Object.keys(response.headers).sort(),
    [...Object.keys(HEADER_SETS[set]), ...cacheable, ...TRANSPORT, 'content-type', 'x-request-id'].sort(),
  );
  // Cache-Control is the one an answer may set for itself.
  for (const [name, value] of Object.entries(HEADER_SETS[set])) {
    if (name !== 'cache-control') assert.equal(response.headers[name], value, name);
  }
  assert.match(response.headers['x-request-id'] as string, /^[A-Za-z0-9_-]{12}$/);
}
