/**
 * The page's stylesheet and browser script, as the text the server sends. Run from src/ (tests, `npm run dev`), they
 * are read and the script bundled with esbuild when this module loads; the build (scripts/build.ts) puts a module
 * holding this module's two strings in the bundle in place of this one, so the service neither reads nor compiles them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync, transformSync } from 'esbuild';

const file = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Minified: the page inlines it. */
// eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file beside this module, not input
export const PAGE_STYLE = transformSync(readFileSync(file('./style.css'), 'utf8'), {
  loader: 'css',
  minify: true,
}).code.trim();

/** One classic script, its imports included, for browsers from 2022 on. */
export const PAGE_SCRIPT = buildSync({
  entryPoints: [file('./browser/mirror.ts')],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  // Given here rather than found: the image's build context holds no tsconfig.json, and esbuild would otherwise
  // bundle a different script there (no "use strict") from the one the tests run.
  tsconfigRaw: { compilerOptions: { strict: true } },
})
  .outputFiles.map((output) => output.text)
  .join('');
