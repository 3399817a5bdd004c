import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT } from '../../tools/root.ts';

export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Runs a repository script as its npm script does, with the Node.js that runs the tests, and collects its output. */
export async function runScript(script: string, ...args: string[]): Promise<ScriptRun> {
  return runScriptWith({}, script, ...args);
}

/** runScript, with these variables added to the environment. */
export async function runScriptWith(
  env: Readonly<Record<string, string>>,
  script: string,
  ...args: string[]
): Promise<ScriptRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr, elapsedMs: performance.now() - started };
}

/** Listens on an ephemeral loopback port and resolves with the server's base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
