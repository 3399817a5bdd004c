import { createServer, type Server } from 'node:http';
import type { Check } from '../../src/identity.ts';

/** The answer a check expects, made from the check alone. */
function answerTo(check: Check): { status: number; contentType: string; text: string } {
  const contentType = check.contentType ?? 'application/json';
  if (check.body !== undefined) return { status: check.status, contentType, text: JSON.stringify(check.body) };
  if (check.fields !== undefined) {
    const fields = { ...check.fields, ...(check.contains === undefined ? {} : { message: check.contains }) };
    return { status: check.status, contentType, text: JSON.stringify(fields) };
  }
  return { status: check.status, contentType, text: check.contains ?? '' };
}

/**
 * A stand-in for a deployed service: it answers every check as the check expects, but the checks at the `wrong`
 * indexes, which get a 200 of `{"wrong":true}`. It records each request's path and headers.
 */
export function fakeService(checks: readonly Check[], wrong: readonly number[] = []) {
  const requests: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    const index = checks.findIndex((check) => check.path === request.url);
    const answer =
      index === -1 || wrong.includes(index)
        ? { status: index === -1 ? 404 : 200, contentType: 'application/json', text: '{"wrong":true}' }
        : answerTo(checks[index]!);
    response.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.text);
  });
  return { server, requests };
}
