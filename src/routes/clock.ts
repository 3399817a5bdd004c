import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { quote, solve } from '../mirror.ts';
import { errorBody } from '../errors.ts';
import { BadQuery, EXAMPLE_ACTUAL_TIME, EXAMPLE_MIRROR_TIME, ErrorBody, timeParameter } from './schemas.ts';

const ClockQuery = Type.Object(
  { mirror_time: timeParameter('The time the clock shows in the mirror.') },
  { additionalProperties: false },
);

const ClockAnswer = Type.Object(
  {
    mirror_time: Type.String({
      description: 'The mirror time, normalised to two-digit fields.',
      examples: [EXAMPLE_MIRROR_TIME],
    }),
    actual_time: Type.String({
      description: 'The real time: 12:00 minus the mirror time.',
      examples: [EXAMPLE_ACTUAL_TIME],
    }),
  },
  { examples: [{ mirror_time: EXAMPLE_MIRROR_TIME, actual_time: EXAMPLE_ACTUAL_TIME }] },
);

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain';

export const clockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/clock',
    {
      schema: {
        tags: ['clock'],
        summary: 'The real time, from the time seen in a mirror',
        description:
          'Peter sees the office clock in a mirror. Give the time he reads there; get the real time. ' +
          'Send `Accept: text/plain` to get the real time alone, as a string. [See it drawn](/mirror).',
        querystring: ClockQuery,
        response: {
          200: {
            description: 'The mirror time and the real time.',
            content: {
              [JSON_TYPE]: { schema: ClockAnswer },
              [TEXT_TYPE]: { schema: Type.String({ examples: [EXAMPLE_ACTUAL_TIME] }) },
            },
          },
          400: BadQuery,
          406: { ...ErrorBody, description: 'The Accept header allows neither JSON nor plain text.' },
        },
      },
    },
    async (request, reply) => {
      // The schema checked mirror_time against TIME_PATTERN, which solve() parses with.
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
      const answer = solve(request.query.mirror_time)!;
      const accept = request.headers.accept;
      // Most callers send no Accept or */*; only negotiate when there is a choice to make.
      if (accept === undefined || accept === '*/*') return answer;
      switch (request.accepts().type([JSON_TYPE, TEXT_TYPE])) {
        case JSON_TYPE:
          return answer;
        case TEXT_TYPE:
          return reply.type('text/plain; charset=utf-8').send(answer.actual_time);
        default:
          return reply
            .code(406)
            .send(errorBody(406, `Accept ${quote(accept)} allows neither ${JSON_TYPE} nor ${TEXT_TYPE}`));
      }
    },
  );
};
