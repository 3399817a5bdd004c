import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { pino, type Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { handleFrameworkError, registerErrorHandlers } from './errors.ts';
import { LazyRequestLog } from './request-log.ts';
import { PAGE_HEADERS, requestId, setResponseHeaders } from './headers.ts';
import { clockRoutes } from './routes/clock.ts';
import { clockSvgRoutes } from './routes/clock-svg.ts';
import { mirrorPageRoutes } from './routes/mirror-page.ts';
import { healthRoutes } from './routes/health.ts';
import { registerDocs, registerOpenApi } from './routes/docs.ts';
import { ErrorBody } from './routes/schemas.ts';
import { precompiledSchemas } from './precompiled-schemas.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export interface AppOptions {
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
      // Fastify's default strips unknown query parameters silently; we refuse them instead.
      customOptions: { removeAdditional: false },
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
  await registerOpenApi(app, version);
  // The busiest route sets its headers in its handler, with its answer's: no hook runs for it.
  await app.register(clockRoutes);
  await app.register(async (others) => {
    others.addHook('onRequest', (request, reply, done) => {
      setResponseHeaders(request, reply);
      done();
    });
    await others.register(healthRoutes);
    // What a browser renders as a document gets the headers documents need; the API's answers do without them.
    // Swagger UI's catch-all route puts /openapi.json and unknown GET paths in this scope too.
    await others.register(async (pages) => {
      pages.addHook('onRequest', (_request, reply, done) => {
        reply.headers(PAGE_HEADERS);
        done();
      });
      await pages.register(clockSvgRoutes);
      await pages.register(mirrorPageRoutes);
      await registerDocs(pages);
    });
  });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
