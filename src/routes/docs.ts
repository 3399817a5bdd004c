import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDENTITY } from '../identity.ts';

export interface OpenApiTag {
  readonly name: string;
  readonly description: string;
}

/** Where the OpenAPI document is served: its one URL. Swagger UI reads it there, and so does a client generator. */
export const DOCUMENT_PATH = '/openapi.json';

/** What the document says of the service. Swagger UI's page is titled with its title. */
export const API_INFO = {
  title: IDENTITY.name,
  description: IDENTITY.description,
  license: { name: 'MIT', identifier: 'MIT' },
} as const;

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
      info: { ...API_INFO, version },
      // Relative: a client resolves it against the URL it read the document from, so the one document is right
      // behind any host, port or scheme (the load balancer's, a custom domain, localhost) without knowing them.
      servers: [{ url: '/', description: 'Where this document was served from' }],
      // Public: no operation needs credentials. Said outright, so that no tool takes the lack of one for an omission.
      security: [],
      tags: [...serviceTags, { name: 'operations', description: 'For load balancers and people running the service' }],
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
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed folder beside the bundle, not input
  if (existsSync(bundled)) return bundled;
  return join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')), 'static');
}

/** Swagger UI's path for the document, and its YAML copy: each a second URL for one document. */
const DOCUMENT_ALIASES = new Set(['/json', '/yaml']);

/** Swagger UI's top bar holds Swagger's logo and a box to load another document: neither belongs on this page. */
const THEME_CSS = '.swagger-ui .topbar { display: none; }';

/**
 * Swagger UI at `/` with every operation expanded, so a visitor sees each one's parameters at once, and the raw
 * document at DOCUMENT_PATH, its only URL.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/',
    baseDir: swaggerUiAssets(),
    // No logo. Left undefined, the plugin shows Fastify's; it skips the logo for null, which its types leave out.
    logo: null as never,
    theme: { title: API_INFO.title, css: [{ filename: 'theme.css', content: THEME_CSS }] },
    uiConfig: {
      docExpansion: 'full',
      deepLinking: false,
      validatorUrl: null,
      // The plugin sets Swagger UI's `url` to its own ./json, after these options; a list of `urls` takes its place,
      // and Swagger UI loads the first of them.
      urls: [{ url: DOCUMENT_PATH, name: API_INFO.title }],
    },
    uiHooks: {
      onRequest: (request, reply, done) => {
        if (DOCUMENT_ALIASES.has(request.routeOptions.url ?? '')) void reply.redirect(DOCUMENT_PATH, 301);
        else done();
      },
    },
  });
  app.get(DOCUMENT_PATH, { schema: { hide: true } }, async () => app.swagger());
}
