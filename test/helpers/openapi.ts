/**
 * The OpenAPI document as the tools a consumer runs read it: Redocly CLI's linter, and a client generated with
 * openapi-typescript, type-checked with the repository's tsc. Each tool runs as its command does, with the Node.js
 * that runs the tests, on files in a temporary folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after } from 'node:test';
import { ROOT } from '../../tools/root.ts';
import { withApp } from './app.ts';
import { temporaryFolder } from './temporary-folder.ts';
import type { AppOptions } from '../../src/app.ts';
import { DOCUMENT_PATH } from '../../src/routes/docs.ts';

/** The linter's settings: its rules, and telemetry off (redocly.yaml). */
export const LINT_CONFIG = join(ROOT, 'redocly.yaml');

const bin = (...path: string[]) => join(ROOT, 'node_modules', ...path);
const REDOCLY = bin('@redocly', 'cli', 'bin', 'cli.js');
const OPENAPI_TYPESCRIPT = bin('openapi-typescript', 'bin', 'cli.js');
const TSC = bin('typescript', 'bin', 'tsc');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a package's command with the Node.js that runs the tests. Only PATH and what is given reach it: nothing from
 * the caller's environment (a CI token, a proxy) can change what it does.
 */
async function runNode(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * The app from src/, listening on an ephemeral loopback port, as a client reaches it; closed once the file's tests
 * have run.
 */
export async function listeningApp(options: AppOptions = {}): Promise<{ readonly url: string }> {
  const app = await withApp({ after }, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected address ${String(address)}`);
  return { url: `http://127.0.0.1:${address.port}` };
}

/** What the linter found: one line per finding, `severity rule: message (where)`. */
export interface LintReport {
  readonly errors: number;
  readonly warnings: number;
  readonly findings: readonly string[];
}

interface RedoclyProblem {
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
  readonly location: readonly { readonly pointer?: string }[];
}

/**
 * Lints an OpenAPI document with Redocly CLI, its recommended rules and any changes in redocly.yaml. It works
 * offline: the rules are built in, the configuration turns telemetry off, and with its output piped it checks for no
 * new version.
 */
export async function lintDocument(file: string): Promise<LintReport> {
  const run = await runNode([REDOCLY, 'lint', file, '--config', LINT_CONFIG, '--format', 'json'], ROOT, {
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  });
  let report: { totals: { errors: number; warnings: number }; problems: RedoclyProblem[] };
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    throw new Error(`redocly lint wrote no report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return {
    errors: report.totals.errors,
    warnings: report.totals.warnings,
    findings: report.problems.map(
      (problem) =>
        `${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location.map((at) => at.pointer).join(', ')})`,
    ),
  };
}

/** A client generated into a folder, and what tsc said of the callers beside it. */
export interface GeneratedClient {
  /** The folder: the generated types (openapi.d.ts), the callers, and a package.json and tsconfig.json for them. */
  readonly dir: string;
  /** tsc's complaints about the callers, one a line; empty when they fit the generated client. */
  readonly typeErrors: string;
}

/**
 * Generates a typed client from the document a running service serves, as a consumer would (docs/api.md): the
 * openapi-typescript command, into a temporary folder. Copies the callers beside it and type-checks them with the
 * repository's tsc and compiler options. A test asserts there are no type errors, then may import the callers from
 * the folder and run them against the service.
 *
 * A caller is a `*.caller.ts` file that imports `./openapi.d.ts` (the generated types) and `openapi-fetch`.
 */
export async function generateClient(serviceUrl: string, callers: readonly string[]): Promise<GeneratedClient> {
  const dir = temporaryFolder('openapi-client');
  const generated = await runNode(
    [OPENAPI_TYPESCRIPT, `${serviceUrl}${DOCUMENT_PATH}`, '--output', 'openapi.d.ts'],
    dir,
  );
  if (generated.code !== 0) {
    throw new Error(`openapi-typescript failed (exit ${generated.code}):\n${generated.stdout}\n${generated.stderr}`);
  }
  for (const caller of callers) copyFileSync(caller, join(dir, basename(caller)));
  // openapi-fetch and Node's types, for tsc and for running the callers, from the repository's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // A consumer's project as this one is: ES modules, and the repository's compiler options.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['*.ts'], exclude: [] }, null, 2),
  );
  const checked = await runNode([TSC, '-p', join(dir, 'tsconfig.json')], dir);
  const typeErrors = `${checked.stdout}${checked.stderr}`.trim();
  if (checked.code !== 0 && typeErrors === '') throw new Error(`tsc failed (exit ${checked.code}) and said nothing`);
  return { dir, typeErrors };
}
