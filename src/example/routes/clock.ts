import Negotiator from 'negotiator';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorBody } from '../../errors.ts';
import { setResponseHeaders } from '../../headers.ts';
import { quote } from '../../quote.ts';
import { BadQuery, errorResponse } from '../../routes/schemas.ts';
import { solve, type MirrorAnswer } from '../mirror.ts';
import {
  CLOCK_CACHE_CONTROL,
  matchesEtag,
  represent,
  sendRepresentation,
  type Representation,
} from '../representation.ts';
import { EXAMPLE_ACTUAL_TIME, EXAMPLE_MIRROR_TIME, timeParameter } from './schemas.ts';

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

const CACHE_HEADERS = {
  etag: Type.String({ description: 'A hash of the answer: send it back in If-None-Match.' }),
  'cache-control': Type.String({ examples: [CLOCK_CACHE_CONTROL] }),
  vary: Type.String({ examples: ['accept'] }),
};

/**
 * The answers already serialised, by the query's mirror_time. There are only 720 valid HH:MM and 43,200 HH:MM:SS
 * times (a few thousand more spellings with a one-digit hour), but a caller could walk them all, so the memo holds
 * at most MEMO_SIZE entries (under 1 KB each) and starts again when full.
 */
const MEMO_SIZE = 1024;

class Memo {
  readonly #entries = new Map<string, Representation>();
  readonly #make: (answer: MirrorAnswer) => Representation;

  constructor(make: (answer: MirrorAnswer) => Representation) {
    this.#make = make;
  }

  get(mirrorTime: string): Representation {
    let entry = this.#entries.get(mirrorTime);
    if (entry === undefined) {
      if (this.#entries.size === MEMO_SIZE) this.#entries.clear();
      // The schema checked mirror_time against TIME_PATTERN, which solve() parses with.
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
      entry = this.#make(solve(mirrorTime)!);
      this.#entries.set(mirrorTime, entry);
    }
    return entry;
  }
}

const JSON_ANSWERS = new Memo((answer) => represent(JSON_TYPE, JSON.stringify(answer)));
const TEXT_ANSWERS = new Memo((answer) => represent(`${TEXT_TYPE}; charset=utf-8`, answer.actual_time));

/**
 * What /clock can answer in. Negotiator ranks them by the Accept header: q-value, then how specific the range that
 * names each is, then the order it names them in. Where all that ties, as for a bare wildcard, JSON comes first.
 */
const OFFERED = [JSON_TYPE, TEXT_TYPE];

export const clockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/clock',
    {
      // The handler sets every header itself, with its answer: no hook runs for the busiest route (src/app.ts).
      config: { ownHeaders: true },
      schema: {
        operationId: 'getClock',
        tags: ['clock'],
        summary: 'The real time, from the time seen in a mirror',
        description:
          'Peter sees the office clock in a mirror. Give the time he reads there; get the real time. ' +
          'Send `Accept: text/plain` to get the real time alone, as a string. The answer depends on the query ' +
          'alone, so it carries an ETag and may be cached for a week. [See it drawn](/mirror).',
        querystring: ClockQuery,
        response: {
          200: {
            description: 'The mirror time and the real time.',
            headers: CACHE_HEADERS,
            content: {
              [JSON_TYPE]: { schema: ClockAnswer },
              [TEXT_TYPE]: { schema: Type.String({ examples: [EXAMPLE_ACTUAL_TIME] }) },
            },
          },
          304: {
            description: 'If-None-Match named the current ETag: the cached answer is still right.',
            headers: CACHE_HEADERS,
            type: 'null',
          },
          400: BadQuery,
          406: errorResponse('The Accept header allows neither JSON nor plain text.'),
        },
      },
    },
    // Not async: a handler that sends and returns nothing spares Fastify a promise per request.
    (request, reply) => {
      const accept = request.headers.accept;
      let answers = JSON_ANSWERS;
      // Most callers send no Accept or */*; only negotiate when there is a choice to make.
      if (accept !== undefined && accept !== '*/*') {
        const type = new Negotiator(request.raw).mediaType(OFFERED);
        if (type === TEXT_TYPE) answers = TEXT_ANSWERS;
        else if (type !== JSON_TYPE) {
          setResponseHeaders(request, reply);
          void reply
            .code(406)
            .send(errorBody(406, `Accept ${quote(accept)} allows neither ${JSON_TYPE} nor ${TEXT_TYPE}`));
          return;
        }
      }
      const answer = answers.get(request.query.mirror_time);
      if (matchesEtag(request.headers['if-none-match'], answer.etag)) {
        setResponseHeaders(request, reply, answer.headers);
        // No body at all, not the JSON `null` that the documented 304 schema would serialise, and no content type.
        void reply
          .removeHeader('content-type')
          .code(304)
          .send(undefined as never);
        return;
      }
      sendRepresentation(request, reply, answer);
    },
  );
};
