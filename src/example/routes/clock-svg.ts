import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CLOCK_VIEWS, clockFace, type ClockView } from '../clock-face.ts';
import { parseTime } from '../mirror.ts';
import { CLOCK_CACHE_CONTROL, matchesEtag } from '../representation.ts';
import { BadQuery } from '../../routes/schemas.ts';
import { timeParameter } from './schemas.ts';

export const SVG_TYPE = 'image/svg+xml';

const DEFAULT_VIEW: ClockView = 'actual';

const ClockSvgQuery = Type.Object(
  {
    time: timeParameter('The time the clock really shows.'),
    view: Type.Optional(
      Type.Enum(CLOCK_VIEWS, {
        default: DEFAULT_VIEW,
        description:
          '`actual`: the clock seen straight on. `mirror`: the same clock seen in a mirror, flipped left to right, ' +
          'numerals reversed; its hands then stand where an ordinary clock would show 12:00 minus the time.',
      }),
    ),
  },
  { additionalProperties: false },
);

const CACHE_HEADERS = {
  etag: Type.String({ description: 'A hash of the picture: send it back in If-None-Match.' }),
  'cache-control': Type.String({ examples: [CLOCK_CACHE_CONTROL] }),
};

export const clockSvgRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/clock.svg',
    {
      schema: {
        operationId: 'getClockSvg',
        tags: ['clock'],
        summary: 'An analog clock face, drawn straight on or as seen in a mirror',
        description:
          'Draws a clock showing `time` as SVG: hour marks, numerals, and hands at their angles, the hour hand ' +
          'creeping on with the minutes. A second hand appears when the time has seconds. With `view=mirror` the ' +
          'face is flipped left to right, as the mirror shows it: the mirror view of 11:38 looks like 12:22. ' +
          'No fonts or images are embedded. The answer depends on the query alone, so it carries an ETag and may ' +
          'be cached. [See both views side by side](/mirror).',
        querystring: ClockSvgQuery,
        response: {
          200: {
            description: 'The clock face.',
            headers: CACHE_HEADERS,
            content: { [SVG_TYPE]: { schema: Type.String({ description: 'An SVG document.' }) } },
          },
          304: {
            description: 'If-None-Match named the current ETag: the cached picture is still right.',
            headers: CACHE_HEADERS,
            type: 'null',
          },
          400: BadQuery,
        },
      },
    },
    async (request, reply) => {
      // The schema checked time against TIME_PATTERN, which parseTime() parses with.
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion
      const svg = clockFace(parseTime(request.query.time)!, request.query.view ?? DEFAULT_VIEW);
      // The same picture for 1:00 and 01:00, so the same tag: hash what is drawn, not what was asked.
      const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 22)}"`;
      void reply.header('etag', etag).header('cache-control', CLOCK_CACHE_CONTROL);
      // No body at all, not the JSON `null` that the documented 304 schema would serialise.
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send(undefined as never);
      return reply.type(`${SVG_TYPE}; charset=utf-8`).send(svg);
    },
  );
};
