import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IDENTITY } from '../identity.ts';
import { errorResponse } from './schemas.ts';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    IDENTITY.healthPath,
    {
      schema: {
        operationId: 'getHealth',
        tags: ['operations'],
        summary: 'Liveness for the load balancer and the container health check',
        description:
          'Answers 200 while the service takes traffic. Once shutdown has begun, Fastify answers 503 to every ' +
          'request, this one included, so that the load balancer stops routing here.',
        // It takes no query, and refuses one as every route refuses parameters it does not know.
        querystring: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({ status: Type.Literal('ok') }, { description: 'The service takes traffic.' }),
          400: errorResponse('The request has a query: this route takes none.'),
          503: errorResponse('Shutdown has begun: the load balancer should route elsewhere.'),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};
