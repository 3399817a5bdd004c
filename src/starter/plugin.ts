/**
 * The starter: the smallest route of a service's own, for `npm run rename -- <slug> --drop-example` to put in the
 * example's place (docs/make-it-yours.md). It is not registered until then, and test/starter/ holds it to working.
 * Grow it into your first route: a TypeBox schema for the query and the answer, and the handler.
 */
import { Type } from 'typebox';
import type { ServiceRoutes } from '../app.ts';
import { EXPECTED } from '../errors.ts';
import type { Check } from '../identity.ts';
import { BadQuery } from '../routes/schemas.ts';

const NAME = 'a name of 1 to 40 letters, spaces or hyphens';

const HelloQuery = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z][A-Za-z -]{0,39}$', description: 'Who to greet.', [EXPECTED]: NAME }) },
  { additionalProperties: false },
);

const HelloAnswer = Type.Object({ greeting: Type.String({ examples: ['Hello, world!'] }) });

export const STARTER_ROUTES: ServiceRoutes = {
  plugin: async (app) => {
    app.get(
      '/hello',
      {
        schema: {
          operationId: 'getHello',
          tags: ['hello'],
          summary: 'A greeting',
          querystring: HelloQuery,
          response: { 200: HelloAnswer, 400: BadQuery },
        },
      },
      async (request) => ({ greeting: `Hello, ${request.query.name}!` }),
    );
  },
  tags: [{ name: 'hello', description: 'The starter route: replace it with your own.' }],
};

/** What a deployed service with the starter must answer: the rename puts these in src/identity.ts. */
export const STARTER_CHECKS: readonly Check[] = [
  { path: '/hello?name=world', status: 200, body: { greeting: 'Hello, world!' } },
  { path: '/hello?name=', status: 400, fields: { statusCode: 400, error: 'Bad Request' }, contains: 'name' },
];
