import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IDENTITY } from '../identity.ts';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    IDENTITY.healthPath,
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness for the load balancer and the container health check',
        description:
          'Answers 200 while the service takes traffic. Once shutdown has begun, Fastify answers 503 to every ' +
          'request, this one included, so that the load balancer stops routing here.',
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};
