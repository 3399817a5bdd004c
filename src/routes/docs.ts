import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the OpenAPI document is served: its one URL. Swagger UI reads it there, and so does a client generator. */
export const DOCUMENT_PATH = '/openapi.json';

/** What the document says of the service. Swagger UI's page is titled with its title. */
export const API_INFO = {
  title: 'Clock Mirror',
  description:
    'Peter sees the office clock in a mirror: when it shows 12:22, the real time is 11:38. ' +
    'This API tells the real time from the mirror time. [See the clocks drawn](/mirror).',
  license: { name: 'MIT', identifier: 'MIT' },
} as const;

/**
 * Collects every route's schema into one OpenAPI document. Registered before
 * the routes, because it learns of them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...API_INFO, version },
      // Relative: a client resolves it against the URL it read the document from, so the one document is right
      // behind any host, port or scheme (the load balancer's, a custom domain, localhost) without knowing them.
      servers: [{ url: '/', description: 'Where this document was served from' }],
      // Public: no operation needs credentials. Said outright, so that no tool takes the lack of one for an omission.
      security: [],
      tags: [
        { name: 'clock', description: 'The puzzle' },
        { name: 'operations', description: 'For load balancers and people running the service' },
      ],
    },
    // A shared schema (app.addSchema) appears in components.schemas under its $id, not as `def-0`: generated
    // clients name their types after it.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}`,
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
