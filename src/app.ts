import { readFileSync } from 'node:fs';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { pino, type Logger } from 'pino';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EXPECTED, handleFrameworkError, registerErrorHandlers } from './errors.ts';
import { LazyRequestLog } from './request-log.ts';
import { addPageHeaders, requestId, setResponseHeaders } from './headers.ts';
import { healthRoutes } from './routes/health.ts';
import { registerDocs, registerOpenApi, type OpenApiTag } from './routes/docs.ts';
import { ErrorBody } from './routes/schemas.ts';
import { precompiledSchemas } from './precompiled-schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route sets the headers every answer carries itself, with setResponseHeaders() or as part of an answer
     * sent whole, so no hook runs for it: for a hot route. @default false
     */
    readonly ownHeaders?: boolean;
  }
}

/** What the service adds to the platform: its routes, and the OpenAPI tags they use (src/service.ts). */
export interface ServiceRoutes {
  readonly plugin: FastifyPluginAsyncTypebox;
  readonly tags: readonly OpenApiTag[];
}

// eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed path beside this module, not input
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export interface AppOptions {
  /** The service's own routes. @default none: the platform's routes (health, docs) only */
  readonly routes?: ServiceRoutes;
  /** Where the service logs (server.ts makes it from the config). @default silent, for tests */
  readonly log?: Logger;
  /** Log every request, not only errors. @default false */
  readonly logRequests?: boolean;
  readonly keepAliveTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How route schemas become functions. @default the build's precompiled ones, else Fastify's compilers */
  readonly schemaController?: FastifyServerOptions['schemaController'];
}

/** Builds the service without listening: tests call `inject()`, server.ts calls `listen()`. */
export async function buildApp(options: AppOptions = {}) {
  const log: FastifyBaseLogger = options.log ?? pino({ level: 'silent' });
  const logRequests = options.logRequests ?? false;
  const app = Fastify({
    // Fastify's logger makes a child logger for every request and listens for the end of every response, to time
    // it: 2–4 µs of CPU per answer, 15–20 % of the whole (docs/performance.md). It gets the logger only when every
    // request is to be logged; otherwise request.log makes its child on first use, and the app logs the listening
    // address itself.
    ...(logRequests
      ? { loggerInstance: log }
      : { childLoggerFactory: (_none, bindings, options) => new LazyRequestLog(log, bindings, options) }),
    logController: new LogController({
      disableRequestLogging: !logRequests,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: requestId,
    requestIdHeader: false,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    // Node enforces the headers and request timeouts only when it sweeps its connections, every 30 s by
    // default: a client trickling its headers would hold a socket up to 30 s past the timeout. Sweep each second.
    http: { headersTimeout: options.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    ajv: {
      // Fastify's default strips unknown query parameters silently; we refuse them instead. The EXPECTED keyword
      // only words error messages.
      customOptions: { removeAdditional: false, keywords: [EXPECTED] },
    },
    frameworkErrors: handleFrameworkError,
    schemaController: options.schemaController ?? precompiledSchemas,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandlers(app);
  // The body of every error answer, which each route's schema refers to by its $id (src/routes/schemas.ts).
  app.addSchema(ErrorBody);
  if (!logRequests) {
    // What Fastify's logger would say on listening, in the same words: tools/server-process.ts waits for it.
    app.addHook('onListen', (done) => {
      const address = app.server.address();
      if (address !== null && typeof address !== 'string') {
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        log.info(`Server listening at http://${host}:${address.port}`);
      }
      done();
    });
  }
  // Every answer carries the API headers and the request id. The hook is the route's own, not the app's, so that a
  // route that sets them itself (config.ownHeaders) runs none.
  app.addHook('onRoute', (route) => {
    if (route.config?.ownHeaders !== true) route.onRequest = [addResponseHeaders, ...hooks(route.onRequest)];
  });
  await registerOpenApi(app, version, options.routes?.tags ?? []);
  await app.register(healthRoutes);
  // Swagger UI is a set of documents, and its catch-all route puts /openapi.json and unknown GET paths here too.
  await app.register(async (docs) => {
    docs.addHook('onRequest', addPageHeaders);
    await registerDocs(docs);
  });
  if (options.routes !== undefined) await app.register(options.routes.plugin);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

function addResponseHeaders(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  setResponseHeaders(request, reply);
  done();
}

const hooks = <T>(hook: T | T[] | undefined): T[] => (hook === undefined ? [] : Array.isArray(hook) ? hook : [hook]);
