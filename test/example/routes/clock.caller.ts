/**
 * A consumer's code, calling /clock through a client generated from the served document. test/example/routes/clock-client.test.ts
 * copies it beside the generated types (./openapi.d.ts, which exist only there), type-checks it against them and runs
 * it. Each answer's fields are read by name: a response field renamed in the route's schema fails to compile here.
 */
import createClient from 'openapi-fetch';
import type { paths } from './openapi.d.ts';

export async function realTime(baseUrl: string, mirrorTime: string, accept?: string) {
  const client = createClient<paths, 'application/json'>({ baseUrl });
  const { data, error, response } = await client.GET('/clock', {
    params: { query: { mirror_time: mirrorTime } },
    ...(accept === undefined ? {} : { headers: { accept } }),
  });
  if (error)
    return { status: response.status, statusCode: error.statusCode, error: error.error, message: error.message };
  return { status: response.status, mirrorTime: data.mirror_time, actualTime: data.actual_time };
}

/** The same question, answered as plain text: the real time alone. */
export async function realTimeAsText(baseUrl: string, mirrorTime: string) {
  const client = createClient<paths>({ baseUrl });
  const { data, response } = await client.GET('/clock', {
    params: { query: { mirror_time: mirrorTime } },
    headers: { accept: 'text/plain' },
    parseAs: 'text',
  });
  return { status: response.status, actualTime: data };
}
