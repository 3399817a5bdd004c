/**
 * A consumer's code, calling the platform's route through a client generated from the served document.
 * test/openapi/client.test.ts copies it beside the generated types (./openapi.d.ts, which exist only there),
 * type-checks it against them and runs it: a change to the route's schema that breaks a caller fails there.
 */
import createClient from 'openapi-fetch';
import type { paths } from './openapi.d.ts';

export async function health(baseUrl: string, query?: Record<string, string>) {
  const client = createClient<paths, 'application/json'>({ baseUrl });
  // The generated types say /health takes no query; a caller who sends one anyway gets the documented 400.
  const { data, error, response } = await client.GET('/health', query ? { params: { query: query as never } } : {});
  if (error)
    return { status: response.status, statusCode: error.statusCode, error: error.error, message: error.message };
  return { status: response.status, health: data.status };
}
