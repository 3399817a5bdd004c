import type { FastifyServerOptions } from 'fastify';

/**
 * The route schemas' validators and serialisers, compiled ahead of time. Compiling them with Ajv and
 * fast-json-stringify took about 40 ms of every start-up, which the container pays on each scale-out. The build
 * (scripts/build.ts) compiles them once, with the same compilers and options, and puts a generated module in the
 * bundle in place of this one. Run from src/ (tests, `npm run dev`), there is none: Fastify compiles at start-up.
 */
export const precompiledSchemas: FastifyServerOptions['schemaController'] = undefined;
