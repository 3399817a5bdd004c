import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString, LogFn } from 'pino';

/**
 * `request.log` when Fastify runs without a logger of its own (src/app.ts): the request's child of the service's
 * logger, made on first use. Fastify's logger makes that child for every request and listens for the end of every
 * response to time it, 2–4 µs of CPU per answer (docs/performance.md); most answers log nothing.
 */
export class LazyRequestLog implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  /** A route's own logLevel and serializers, which Fastify passes for its child. */
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions = {}) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #log(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#log.level = level;
  }

  fatal(...args: Parameters<LogFn>): void {
    this.#log.fatal(...args);
  }
  error(...args: Parameters<LogFn>): void {
    this.#log.error(...args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.#log.warn(...args);
  }
  info(...args: Parameters<LogFn>): void {
    this.#log.info(...args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.#log.debug(...args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.#log.trace(...args);
  }
  silent(...args: Parameters<LogFn>): void {
    this.#log.silent(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#log.child(bindings, options);
  }
}
