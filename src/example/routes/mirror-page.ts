import { Type } from 'typebox';
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { describeError } from '../../errors.ts';
import { parseTime } from '../mirror.ts';
import { PAGE_SCRIPT } from '../mirror-page/assets.ts';
import { renderPage } from '../mirror-page/render.ts';
import { timeParameter } from './schemas.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

const PageQuery = Type.Object(
  { time: Type.Optional(timeParameter('The time seen in the mirror.')) },
  { additionalProperties: false },
);

export const mirrorPageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // A bad query gets the API's message, shown in the page under the input, with the caller's text to correct.
  // Scoped to this plugin: every other route answers errors with the JSON body.
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const { statusCode, message } = describeError(error, request);
    const { time } = (request.query ?? {}) as { time?: unknown };
    return reply
      .code(statusCode)
      .type(HTML_TYPE)
      .send(renderPage({ value: typeof time === 'string' ? time : '', error: message }));
  });

  app.get('/mirror', { schema: { hide: true, querystring: PageQuery } }, async (request, reply) => {
    const { time } = request.query;
    // The schema checked time against TIME_PATTERN, which parseTime() parses with.
    const state = time === undefined ? { value: '' } : { value: time, seen: parseTime(time) };
    return reply.type(HTML_TYPE).send(renderPage(state));
  });

  app.get('/mirror.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      // Short: the script ships with the page, and a new release may change both.
      .header('cache-control', 'public, max-age=300')
      .send(PAGE_SCRIPT),
  );
};
