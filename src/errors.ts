import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setResponseHeaders } from './headers.ts';
import { quote } from './quote.ts';

/**
 * A query parameter's schema may say in words what it expects, as `x-expected` (Ajv is told of the keyword in
 * src/app.ts): every 400 about that parameter ends with it. Without it, the message falls back on the schema's
 * pattern or type.
 */
export const EXPECTED = 'x-expected';

interface ParameterSchema {
  readonly [EXPECTED]?: string;
  readonly pattern?: string;
  readonly type?: string;
}

function expected(schema: ParameterSchema | undefined): string {
  if (schema?.[EXPECTED] !== undefined) return `expected ${schema[EXPECTED]}`;
  if (schema?.pattern !== undefined) return `expected a value matching ${schema.pattern}`;
  const type = schema?.type ?? 'value';
  return `expected ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** The body of every 4xx and 5xx answer; its schema is ErrorBody (src/routes/schemas.ts). */
export function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * Turns the schema validator's first complaint about the query into a sentence that names the parameter, the value
 * received and what is expected.
 */
function describe(issue: ValidationIssue, request: FastifyRequest): string {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const querystring = request.routeOptions.schema?.querystring as
    { properties?: Record<string, ParameterSchema> } | undefined;
  const properties = querystring?.properties ?? {};
  if (issue.keyword === 'required') {
    const name = String(issue.params.missingProperty);
    return `${name} is required: ${expected(properties[name])}`;
  }
  if (issue.keyword === 'additionalProperties') {
    const name = String(issue.params.additionalProperty);
    const accepted = Object.keys(properties);
    const expected = accepted.length === 0 ? 'expected no query' : `expected only ${accepted.join(', ')}`;
    return `unknown query parameter ${quote(name)}: ${expected}`;
  }
  const name = issue.instancePath.slice(1);
  const value = query[name];
  if (Array.isArray(value)) {
    return `${name} was given ${value.length} times: expected it once`;
  }
  if (issue.keyword === 'enum') {
    const allowed = (issue.params.allowedValues as unknown[]).join(', ');
    return `${name} ${quote(String(value))} is not valid: expected one of ${allowed}`;
  }
  return `${name} ${quote(String(value))} is not valid: ${expected(properties[name])}`;
}

/**
 * The status and the message of the answer to a failed request, logged with the request id: a bad request at info
 * with the reason, a failure of ours at error with the stack. Every error answer, JSON or HTML, takes its words from
 * here.
 */
export function describeError(
  error: FastifyError,
  request: FastifyRequest,
): { readonly statusCode: number; readonly message: string } {
  const [issue] = error.validation ?? [];
  const statusCode = issue === undefined ? (error.statusCode ?? 500) : 400;
  if (statusCode >= 500) {
    // The details go to the log; the caller learns nothing of the internals.
    request.log.error({ err: error }, 'request failed');
    return { statusCode: 500, message: 'Something went wrong on our side; the request id names it in our logs.' };
  }
  const message = issue === undefined ? error.message : describe(issue, request);
  request.log.info({ reason: message }, 'bad request');
  return { statusCode, message };
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  setResponseHeaders(request, reply);
  const { statusCode, message } = describeError(error, request);
  return reply.code(statusCode).send(errorBody(statusCode, message));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  setResponseHeaders(request, reply);
  return reply
    .code(404)
    .send(
      errorBody(
        404,
        `no route for ${request.method} ${quote(request.url.replace(/\?.*$/s, ''))}: see /openapi.json for the API`,
      ),
    );
}

/** Requests the router cannot even parse (a bad percent-escape in the path) get our headers and body too. */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  setResponseHeaders(request, reply);
  // Fastify's own message for a bad path repeats the whole URL raw (`<`, `>` and all, up to 16 KB): quote() it
  // like every other echo of the caller's input, escaped and cut short.
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? `'${quote(request.url).slice(1, -1)}' is not a valid url component: expected a path with valid percent-encoding`
      : error.message;
  void reply.code(400).send(errorBody(400, message));
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
}
