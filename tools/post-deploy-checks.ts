/**
 * How an answer is held to one of the identity's checks (src/identity.ts): the smoke test (scripts/smoke.ts) and the
 * synthetic check (infra/canary/check.ts) both judge answers here, so that they cannot disagree about the same list.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Check } from '../src/identity.ts';

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** A check's name in the canary's report and in its request ids: its place in the list and its path, as a word. */
export const stepName = (check: Check, index: number) =>
  `${index + 1}-${check.path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root'}`;

/** The answer a check expects, in words: `200 {"status":"ok"}`, `200 text/html containing "swagger-ui"`. */
export function expectation(check: Check): string {
  const parts = [String(check.status)];
  if (check.contentType !== undefined) parts.push(check.contentType);
  if (check.body !== undefined) parts.push(JSON.stringify(check.body));
  if (check.fields !== undefined) parts.push(`with ${JSON.stringify(check.fields)}`);
  if (check.contains !== undefined) parts.push(`containing ${JSON.stringify(check.contains)}`);
  return parts.join(' ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const brief = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** Undefined when the answer is what the check expects, else what came instead. */
export function verify(check: Check, answer: Answer): string | undefined {
  const json = check.body !== undefined || check.fields !== undefined ? parseJson(answer.text) : undefined;
  const right =
    answer.status === check.status &&
    (check.contentType === undefined || answer.contentType.startsWith(check.contentType)) &&
    (check.body === undefined || isDeepStrictEqual(json, check.body)) &&
    (check.fields === undefined ||
      (typeof json === 'object' &&
        json !== null &&
        Object.entries(check.fields).every(([name, value]) =>
          isDeepStrictEqual((json as Record<string, unknown>)[name], value),
        ))) &&
    (check.contains === undefined || answer.text.includes(check.contains));
  return right ? undefined : `got ${answer.status} ${answer.contentType || 'no content type'} ${brief(answer.text)}`;
}

/**
 * The header that takes a post-deploy check past the CDN's cache: it is part of the cache key of every cached path
 * (infra/lib/service/edge-distribution.ts), and no client sends it, so a fresh value per run is a miss that the new
 * revision answers. The smoke test and the synthetic check send it on every request.
 */
export const CACHE_BYPASS_HEADER = 'x-cache-bypass';

/** A value no earlier run used: the run's start time and a random part. */
export const cacheBypassValue = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
