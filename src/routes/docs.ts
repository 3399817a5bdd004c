import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDENTITY } from '../identity.ts';

export interface OpenApiTag {
  readonly name: string;
  readonly description: string;
}

/**
 * Collects every route's schema into one OpenAPI document. Registered before
 * the routes, because it learns of them as they are added.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  version: string,
  serviceTags: readonly OpenApiTag[],
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: IDENTITY.name,
        version,
        description: IDENTITY.description,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [...serviceTags, { name: 'operations', description: 'For load balancers and people running the service' }],
    },
  });
}

/**
 * Swagger UI's browser files. The build copies them next to the bundle (dist/swagger-ui), because the bundle is all
 * the image holds; run from src/, they are the package's own.
 */
function swaggerUiAssets(): string {
  const bundled = fileURLToPath(new URL('swagger-ui', import.meta.url));
  if (existsSync(bundled)) return bundled;
  return join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')), 'static');
}

/** Swagger UI at `/` with every operation expanded, so a visitor sees each one's parameters at once, and the raw document at `/openapi.json`. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  const baseDir = swaggerUiAssets();
  await app.register(swaggerUi, {
    routePrefix: '/',
    baseDir,
    // The plugin's default logo, which it would otherwise read from its own folder.
    logo: { type: 'image/svg+xml', content: readFileSync(join(baseDir, 'logo.svg')) },
    uiConfig: { docExpansion: 'full', deepLinking: false, validatorUrl: null },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
