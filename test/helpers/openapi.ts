/**
 * The OpenAPI document as the tools a consumer runs read it: Redocly CLI's linter. Each tool runs as its command
 * does, with the Node.js that runs the tests, on files in a temporary folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after } from 'node:test';
import { ROOT } from '../../tools/root.ts';
import { withApp } from './app.ts';
import type { AppOptions } from '../../src/app.ts';

/** The linter's settings: its rules, and telemetry off (redocly.yaml). */
export const LINT_CONFIG = join(ROOT, 'redocly.yaml');

const bin = (...path: string[]) => join(ROOT, 'node_modules', ...path);
const REDOCLY = bin('@redocly', 'cli', 'bin', 'cli.js');

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
