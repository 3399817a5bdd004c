/**
 * `npm run rename -- <slug> [--name "<display name>"] [--drop-example]`: makes this template your service
 * (docs/make-it-yours.md). It rewrites the identity (src/identity.ts) and what cannot import it: the package name in
 * package.json and the lock file, and the names in the README and docs/ (not docs/decisions/, which is history).
 * `--drop-example` also removes the example (src/example/, test/example/, bench/) and registers the starter route
 * in its place, with its checks. It checks everything before it writes anything, so a refused rename leaves the tree
 * as it was; run again with the same arguments, it changes nothing.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { IDENTITY, type Check } from '../src/identity.ts';
import { STARTER_CHECKS } from '../src/starter/plugin.ts';
import { ROOT } from '../tools/root.ts';

const USAGE = 'usage: npm run rename -- <slug> [--name "<display name>"] [--drop-example]   e.g. orders-api';

/** npm package, ECR repository, SSM path segment and tag value alike accept this; CloudFormation needs the letter first. */
const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_SLUG = 40;

/** Words a display name writes in capitals: orders-api is "Orders API". */
const ACRONYMS = new Set([
  'api',
  'aws',
  'cdn',
  'cli',
  'db',
  'dns',
  'http',
  'id',
  'io',
  'ml',
  'sdk',
  'sql',
  'ui',
  'url',
]);

export interface Names {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
}

/** The identity's three spellings from a slug: orders-api gives OrdersApi and Orders API. */
export function namesFor(slug: string, name?: string): Names {
  const words = slug.split('-');
  const capitalised = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return {
    id: capitalised.join(''),
    slug,
    name: name ?? words.map((word, i) => (ACRONYMS.has(word) ? word.toUpperCase() : capitalised[i])).join(' '),
  };
}

/** What the example brings, removed by --drop-example: its code, its tests, and the benchmark of its route. */
const EXAMPLE_PATHS = ['src/example', 'test/example', 'bench', 'test/bench'];

/** package.json's scripts that run the example's own code. */
export const EXAMPLE_SCRIPTS = ['bench', 'render:readme-clock'];

/** src/service.ts with the starter registered: the one line that names the service's routes. */
const STARTER_SERVICE = `/**
 * The service's own routes, plugged into the platform (src/app.ts) by the server and the build: the one line that
 * names them. The starter is where yours begin (docs/make-it-yours.md).
 */
import { STARTER_ROUTES } from './starter/plugin.ts';

export const SERVICE_ROUTES = STARTER_ROUTES;

/** What the build (scripts/build.ts) does for the service's own code. */
export const SERVICE_BUILD = {
  /** Bundled beside dist/server.js as dist/<file name>.js: a command line of the service's, package.json's \`bin\`. */
  entryPoints: [],
  /** Modules that compute strings when they load: the build bundles the strings they export in their place. */
  buildTimeModules: [],
} as const satisfies { readonly entryPoints: readonly string[]; readonly buildTimeModules: readonly string[] };
`;

class RenameError extends Error {}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/**
 * The identity file with new values: each property's initializer is replaced where it stands in the source, so the
 * comments and the layout stay.
 */
function rewriteIdentity(source: string, names: Names, checks: readonly Check[] | undefined): string {
  const file = ts.createSourceFile('identity.ts', source, ts.ScriptTarget.Latest, true);
  const replacements: { start: number; end: number; text: string }[] = [];
  const values: Record<string, string> = {
    id: JSON.stringify(names.id),
    slug: JSON.stringify(names.slug),
    name: JSON.stringify(names.name),
  };
  // The repository default follows the slug unless it was set to something else.
  if (IDENTITY.githubRepo === IDENTITY.slug) values.githubRepo = JSON.stringify(names.slug);
  // The description may name the service too; with the example gone, the example's sentence describes nothing.
  values.description = JSON.stringify(
    checks === undefined
      ? replaceNames(IDENTITY.description, IDENTITY, names)
      : `${names.name}: what it does, in one sentence (src/identity.ts).`,
  );
  if (checks !== undefined) values.checks = JSON.stringify(checks);
  const declaration = file.statements
    .filter(ts.isVariableStatement)
    .flatMap((statement) => statement.declarationList.declarations)
    .find((candidate) => ts.isIdentifier(candidate.name) && candidate.name.text === 'IDENTITY');
  let literal = declaration?.initializer;
  while (literal !== undefined && (ts.isSatisfiesExpression(literal) || ts.isAsExpression(literal))) {
    literal = literal.expression;
  }
  if (literal === undefined || !ts.isObjectLiteralExpression(literal)) {
    throw new RenameError('src/identity.ts has no `export const IDENTITY = { ... }` to rewrite');
  }
  for (const property of literal.properties) {
    if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && property.name.text in values) {
      const { initializer } = property;
      replacements.push({
        start: initializer.getStart(file),
        end: initializer.getEnd(),
        text: values[property.name.text]!,
      });
    }
  }
  const missing = Object.keys(values).length - replacements.length;
  if (missing !== 0) throw new RenameError(`src/identity.ts: ${missing} of its properties were not found to rewrite`);
  return replacements
    .sort((a, b) => b.start - a.start)
    .reduce((text, { start, end, text: value }) => text.slice(0, start) + value + text.slice(end), source);
}

/** Every Markdown file of the docs but docs/decisions/, which records what was, names and all. */
function docs(): string[] {
  const found = ['README.md'];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory() && path !== 'docs/decisions') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  return found;
}

function replaceNames(text: string, from: Names, to: Names): string {
  return text.replaceAll(from.id, to.id).replaceAll(from.slug, to.slug).replaceAll(from.name, to.name);
}

interface Plan {
  readonly writes: Map<string, string>;
  readonly removals: string[];
}

async function plan(to: Names, dropExample: boolean): Promise<Plan> {
  const from: Names = IDENTITY;
  const writes = new Map<string, string>();
  const write = async (path: string, text: string, { formatted = true } = {}) => {
    // As `npm run format` would write it: the repository's Prettier settings, by file type.
    const filepath = join(ROOT, path);
    const next = formatted ? await format(text, { ...(await resolveConfig(filepath)), filepath }) : text;
    if (next !== read(path)) writes.set(path, next);
  };
  const example = dropExample && existsSync(join(ROOT, 'src/example'));

  const checks = example
    ? [
        ...IDENTITY.checks.filter((check) => check.path === IDENTITY.healthPath || check.path === '/'),
        ...STARTER_CHECKS,
      ]
    : undefined;
  await write('src/identity.ts', rewriteIdentity(read('src/identity.ts'), to, checks));

  const packageJson = JSON.parse(read('package.json')) as {
    name: string;
    description: string;
    bin?: Record<string, string>;
    scripts: Record<string, string>;
  };
  packageJson.name = to.slug;
  packageJson.description = example
    ? `${to.name}: a Fastify API shipped to ECS Fargate with AWS CDK.`
    : replaceNames(packageJson.description, from, to);
  // The command is the example's (its command line), named after the slug.
  const bin = Object.entries(packageJson.bin ?? {})
    .filter(() => !example)
    .map(([command, file]) => [command === from.slug ? to.slug : command, file] as const);
  packageJson.bin = bin.length === 0 ? undefined : Object.fromEntries(bin);
  if (example) {
    packageJson.scripts = Object.fromEntries(
      Object.entries(packageJson.scripts)
        .filter(([script]) => !EXAMPLE_SCRIPTS.includes(script))
        // The example's browser script was the second project to check.
        .map(([script, command]) => [script, script === 'typecheck' ? 'tsc -p tsconfig.json' : command]),
    );
  }
  await write('package.json', JSON.stringify(packageJson, null, 2));

  // npm writes the lock file itself, two-space JSON; only the root package's name and command change.
  const lock = JSON.parse(read('package-lock.json')) as {
    name: string;
    packages: Record<string, Record<string, unknown>>;
  };
  lock.name = to.slug;
  const root = lock.packages[''];
  if (root === undefined) throw new RenameError('package-lock.json has no root package');
  root.name = to.slug;
  root.bin = packageJson.bin;
  await write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`, { formatted: false });

  for (const path of docs()) await write(path, replaceNames(read(path), from, to));

  const removals: string[] = [];
  if (example) {
    await write('src/service.ts', STARTER_SERVICE);
    const tsconfig = JSON.parse(read('tsconfig.json')) as { exclude?: string[] };
    tsconfig.exclude = (tsconfig.exclude ?? []).filter((path) => !path.startsWith('src/example/'));
    await write('tsconfig.json', JSON.stringify(tsconfig, null, 2));
    removals.push(...EXAMPLE_PATHS.filter((path) => existsSync(join(ROOT, path))));
  }
  return { writes, removals };
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

export async function main(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { name: { type: 'string' }, 'drop-example': { type: 'boolean', default: false } },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const [slug, ...extra] = parsed.positionals;
  if (slug === undefined || extra.length > 0) fail(USAGE);
  if (!SLUG.test(slug) || slug.length > MAX_SLUG) {
    fail(
      `"${slug}" is not a valid slug: expected lower-case letters and digits in words joined by single hyphens, ` +
        `starting with a letter, at most ${MAX_SLUG} characters (e.g. orders-api)\n${USAGE}`,
    );
  }
  const name = parsed.values.name;
  if (name?.trim() === '' || (name !== undefined && (name.trim() !== name || /['"`\\\n]/.test(name)))) {
    fail(`--name "${name}" is not a valid display name: expected words without quotes, backslashes or line breaks`);
  }
  const to = namesFor(slug, name);

  let changes: Plan;
  try {
    changes = await plan(to, parsed.values['drop-example']);
  } catch (error) {
    if (error instanceof RenameError) fail(`nothing was changed: ${error.message}`);
    throw error;
  }
  if (changes.writes.size === 0 && changes.removals.length === 0) {
    console.log(`nothing to change: the service is already ${to.slug} (${to.id}, "${to.name}")`);
    return;
  }
  for (const [path, text] of changes.writes) writeFileSync(join(ROOT, path), text);
  for (const path of changes.removals) rmSync(join(ROOT, path), { recursive: true, force: true });

  console.log(`renamed ${IDENTITY.slug} to ${to.slug}: stacks ${to.id}-*, display name "${to.name}"`);
  for (const path of changes.writes.keys()) console.log(`  changed  ${path}`);
  for (const path of changes.removals) console.log(`  removed  ${relative(ROOT, join(ROOT, path))}/`);
  console.log(
    [
      '',
      'Next:',
      '  1. npm test                       everything still passes under the new name',
      '  2. read docs/make-it-yours.md     replace the example, set the checks, what to keep and what to delete',
      '  3. git diff, then commit          e.g. "chore: rename the template to ' + to.slug + '"',
    ].join('\n'),
  );
}

if (import.meta.main) await main(process.argv.slice(2));
