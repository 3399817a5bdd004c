import type { Socket } from 'node:net';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { buildApp, type App } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { IDENTITY } from './identity.ts';
import { SERVICE_ROUTES } from './service.ts';

/**
 * JSON lines for machines; colours only for a person at a terminal, and only where pino-pretty (a development
 * dependency) is installed. It is a stream in this thread, not a pino transport: a transport runs a worker script from
 * pino's own folder, and the bundle (scripts/build.ts) has no such folder.
 */
export async function loggerOptions(
  config: Config,
  isTTY = process.stdout.isTTY,
): Promise<LoggerOptions & { stream?: DestinationStream }> {
  const options = { level: config.logLevel };
  if (!isTTY) return options;
  try {
    const { default: pretty } = await import('pino-pretty');
    return { ...options, stream: pretty() };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') return options; // a production install
    throw error;
  }
}

export interface RunningServer {
  readonly app: App;
  readonly log: Logger;
  readonly url: string;
  /** Stops taking connections, lets requests in flight finish, and resolves once every socket is closed. */
  readonly shutdown: () => Promise<void>;
}

/**
 * Starts the service: the path both `npm start` and the container take. Tests may pass an `app` of their own
 * (with a slow route added, say); it keeps the timeouts it was built with.
 */
export async function startServer(config: Config, app?: App): Promise<RunningServer> {
  const { stream, ...options } = await loggerOptions(config);
  const log = pino(options, stream);
  const server =
    app ??
    (await buildApp({
      routes: SERVICE_ROUTES,
      log,
      logRequests: config.logRequests,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
    }));
  // Node counts a connection that has sent nothing yet as busy, so closeIdleConnections() leaves it open; we
  // track connections (a Set entry per connection, not per request) to close those silent ones at shutdown.
  const connections = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  const url = await server.listen({ host: config.host, port: config.port });
  const closeIdle = () => {
    server.server.closeIdleConnections();
    for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
  };

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      // close() stops listening and closes the connections idle right now. A keep-alive connection whose request
      // finishes later would stay open until the keep-alive timeout (fastify#7044), so sweep them until close()
      // resolves, and after the grace period close every connection, busy or not.
      const sweep = setInterval(closeIdle, 50);
      const deadline = setTimeout(() => {
        log.warn(
          { graceMs: config.shutdownTimeoutMs },
          'requests still in flight after the grace period: closing them',
        );
        server.server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      try {
        const closed = server.close();
        closeIdle();
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(deadline);
      }
    })();
    return closing;
  };
  return { app: server, log, url, shutdown };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * `npm start` and the container run this: read the config (exit 1 if it is bad), listen, and shut down gracefully
 * on the first SIGTERM or SIGINT, at once on the second. `exit` is a parameter so that tests can watch it.
 */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<RunningServer | undefined> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${IDENTITY.slug}: configuration error: ${error.message}\n`);
    exit(1);
    return undefined;
  }
  const running = await startServer(config);
  const onFirstSignal = (signal: NodeJS.Signals) => {
    running.log.info({ signal }, 'shutting down');
    for (const other of SIGNALS) {
      process.off(other, onFirstSignal);
      // A second signal means "now": the operator has stopped waiting.
      process.once(other, () => exit(1));
    }
    void running.shutdown().then(() => {
      running.log.info('shut down cleanly');
      exit(0);
    });
  };
  for (const signal of SIGNALS) process.once(signal, onFirstSignal);
  return running;
}

if (import.meta.main) await main();
