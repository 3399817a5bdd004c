import { IDENTITY } from '../../src/identity.ts';

/**
 * The request the load, shutdown and slow-client suites send, and the exact body it must get: the identity's first
 * check of a route of the service's own that answers 200 with a JSON body, or else the health check. The body as
 * JSON.stringify writes it is the body as Fastify's serialiser writes it: the same keys, in the same order.
 */
function busyRequest(): { readonly path: string; readonly answer: string } {
  const checks = IDENTITY.checks.filter((check) => check.status === 200 && check.body !== undefined);
  const check = checks.find((candidate) => candidate.path !== IDENTITY.healthPath) ?? checks[0];
  if (check === undefined) throw new Error('src/identity.ts has no check of a 200 with a JSON body');
  return { path: check.path, answer: JSON.stringify(check.body) };
}

export const BUSY = busyRequest();
