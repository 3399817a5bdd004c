/**
 * `npm run build`: bundles the service into dist/ for `npm start` and the container image.
 *
 * - Each entry point (the server, the container health check, and the service's own in src/service.ts) becomes one
 *   ES module holding its dependencies. Loading about 900 small modules from node_modules took about 180 ms of the
 *   service's start; one file takes a fraction of that, and the image needs no node_modules at all.
 * - The route schemas are compiled here, not at each start (src/precompiled-schemas.ts says why): the app is built
 *   with Fastify's standalone compilers, which hand over each validator's and serialiser's source, and the bundle gets
 *   a generated module holding those functions in place of src/precompiled-schemas.ts.
 * - The service's build-time modules (src/service.ts) are loaded here and bundled as the strings they export.
 * - Swagger UI's browser assets are files it serves, not code, so they are copied to dist/swagger-ui.
 *
 * It starts no server: the image's build stage warms V8's compile cache afterwards (scripts/warm-compile-cache.ts),
 * and `npm start` fills the same cache on its first run.
 */
import { cpSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StandaloneValidator } from '@fastify/ajv-compiler';
import { StandaloneSerializer } from '@fastify/fast-json-stringify-compiler';
import { build, type Plugin } from 'esbuild';
import { buildApp } from '../src/app.ts';
import { SERVICE_BUILD, SERVICE_ROUTES } from '../src/service.ts';
import { ROOT } from '../tools/root.ts';

const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
const precompiledSchemas = await compileSchemas();

await build({
  absWorkingDir: ROOT,
  // Each to dist/<its file name>.js, wherever under src/ it is.
  entryPoints: ['src/server.ts', 'src/healthcheck.ts', ...SERVICE_BUILD.entryPoints].map((entry) => ({
    in: entry,
    out: basename(entry, '.ts'),
  })),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Development only: loaded, when installed, for a person at a terminal (src/server.ts).
  external: ['pino-pretty'],
  // Licence comments go to dist/*.LEGAL.txt. Left inline, one non-ASCII name among them makes V8 hold the whole
  // bundle as two-byte text: 5 MB more resident memory.
  legalComments: 'external',
  minifyWhitespace: true,
  minifySyntax: true,
  // Fastify and pino are CommonJS and require() Node's built-ins; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [
    builtinsThroughRequire(),
    replaceModule('src/precompiled-schemas.ts', precompiledSchemas),
    ...(await Promise.all(
      SERVICE_BUILD.buildTimeModules.map(async (module) => replaceModule(module, await exportedStrings(module))),
    )),
    // @fastify/static (under Swagger UI) loads glob when it starts, about 6 ms of every start, but calls it only with
    // `wildcard: false`, which nothing here sets. Should anything set it, it fails at start-up, saying so.
    replaceModule(
      'glob',
      "export function glob() { throw new Error('glob is left out of the bundle (scripts/build.ts): wildcard: false of @fastify/static needs it'); }",
    ),
  ],
  logLevel: 'warning',
});

const swaggerUi = dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json'));
cpSync(join(swaggerUi, 'static'), join(DIST, 'swagger-ui'), { recursive: true });

/**
 * Which schema a compiled function is for, as Fastify describes it when it asks for one: the route, and the part of
 * the request (validators) or the status and content type of the answer (serialisers). The generated module carries
 * this same function, as its source text, to look the functions up.
 */
function schemaKey(route: {
  method?: string;
  url?: string;
  httpPart?: string;
  httpStatus?: string;
  contentType?: string;
}) {
  return [route.method, route.url, route.httpPart ?? route.httpStatus, route.contentType].filter(Boolean).join(' ');
}

/** Builds the app with Fastify's standalone compilers, and returns the source of a module that restores their output. */
async function compileSchemas(): Promise<string> {
  const compiled = { validators: new Map<string, string>(), serializers: new Map<string, string>() };
  const app = await buildApp({
    routes: SERVICE_ROUTES,
    schemaController: {
      compilersFactory: {
        buildValidator: StandaloneValidator({
          readMode: false,
          storeFunction: (route, code) => compiled.validators.set(schemaKey(route), code),
        }),
        buildSerializer: StandaloneSerializer({
          readMode: false,
          storeFunction: (route, code) => compiled.serializers.set(schemaKey(route), code),
        }),
      },
    },
  });
  await app.ready();
  await app.close();

  // Each compiled source is a CommonJS module (`module.exports = fn`); HEAD and GET share theirs, so each distinct
  // source is evaluated once and the table maps keys to it.
  const sources = [...new Set([...compiled.validators.values(), ...compiled.serializers.values()])];
  const table = (entries: Map<string, string>) =>
    `new Map([${[...entries].map(([key, code]) => `[${JSON.stringify(key)}, f${sources.indexOf(code)}]`).join(', ')}])`;
  return [
    '// Generated by scripts/build.ts from the route schemas: see src/precompiled-schemas.ts.',
    ...sources.map(
      (code, i) => `const f${i} = (() => { const module = { exports: {} };\n${code}\nreturn module.exports; })();`,
    ),
    `const schemaKey = ${schemaKey.toString()};`,
    `const validators = ${table(compiled.validators)};`,
    `const serializers = ${table(compiled.serializers)};`,
    'function restore(kind, functions, route) {',
    '  const compiled = functions.get(schemaKey(route));',
    '  if (compiled === undefined) throw new Error(`no precompiled ${kind} for ${schemaKey(route)}: run npm run build`);',
    '  return compiled;',
    '}',
    'export const precompiledSchemas = {',
    '  compilersFactory: {',
    "    buildValidator: () => (route) => restore('validator', validators, route),",
    "    buildSerializer: () => (route) => restore('serializer', serializers, route),",
    '  },',
    '};',
  ].join('\n');
}

/** The source of a module that exports, as constants, the strings that `module` exports once loaded. */
async function exportedStrings(module: string): Promise<string> {
  const exported = (await import(pathToFileURL(join(ROOT, module)).href)) as Record<string, unknown>;
  return Object.entries(exported)
    .map(([name, value]) => {
      if (typeof value !== 'string') throw new Error(`${module} exports ${name}, which is not a string`);
      return `export const ${name} = ${JSON.stringify(value)};`;
    })
    .join('\n');
}

/**
 * An esbuild plugin that takes Node's built-ins through require(), as the bundle's CommonJS code (Fastify, pino)
 * already does, where our ES modules import them. For an ES import of a built-in, Node builds a module facade that
 * reads every export, and three of node:http's exports (WebSocket, CloseEvent, MessageEvent) are getters that load
 * undici and, through it, node:http2 and node:tls: about 20 ms of every start, for code the service never runs
 * (nodejs/node#59686). test/scripts/build.test.ts holds the started bundle to not loading undici.
 */
function builtinsThroughRequire(): Plugin {
  const namespace = 'built-in through require';
  return {
    name: namespace,
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) =>
        args.kind === 'import-statement' && isBuiltin(args.path) ? { path: args.path, namespace } : undefined,
      );
      // esbuild wraps a CommonJS module for an ES import with getters that forward each export, reading none at once.
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * An esbuild plugin that bundles `contents` in place of a module: `module` is a path relative to the root (a file of
 * ours) or a bare package name.
 */
function replaceModule(module: string, contents: string): Plugin {
  const isPackage = !module.includes('/');
  const target = isPackage ? module : join(ROOT, module);
  return {
    name: `replace ${module}`,
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) =>
        args.importer !== '' && (isPackage ? args.path : join(args.resolveDir, args.path)) === target
          ? { path: target, namespace: `replaced ${module}` }
          : undefined,
      );
      // resolveDir: the compiled schemas require() fast-json-stringify's and Ajv's runtime helpers from node_modules.
      build.onLoad({ filter: /.*/, namespace: `replaced ${module}` }, () => ({
        contents,
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
}
