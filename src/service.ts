/**
 * The service's own routes, plugged into the platform (src/app.ts) by the server and the build: the one line that
 * names the example. Put yours in its place (docs/make-it-yours.md).
 */
import { EXAMPLE_ROUTES } from './example/plugin.ts';

export const SERVICE_ROUTES = EXAMPLE_ROUTES;

/** What the build (scripts/build.ts) does for the service's own code. */
export const SERVICE_BUILD = {
  /** Bundled beside dist/server.js as dist/<file name>.js: the example's command line, package.json's `bin`. */
  entryPoints: ['src/example/cli.ts'],
  /**
   * Modules that compute strings when they load (the /mirror page's stylesheet and script, bundled with esbuild): the
   * build loads each once and bundles the strings it exports in its place, so the service computes nothing at start.
   */
  buildTimeModules: ['src/example/mirror-page/assets.ts'],
} as const satisfies { readonly entryPoints: readonly string[]; readonly buildTimeModules: readonly string[] };
