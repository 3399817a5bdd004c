import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from './root.ts';

export interface ServerProcess {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** What the process wrote to stdout and stderr so far (the end of it, with keepOutputChars). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running; for test clean-up. */
  kill(): void;
}

export interface StartOptions {
  /** Extra environment; PORT=0 and HOST=127.0.0.1 are the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Command and arguments after the Node binary. @default ['dist/server.js'] (the bundle; `npm start` and the image add NODE_FLAGS) */
  readonly args?: readonly string[];
  /** @default the repository root */
  readonly cwd?: string;
  /** Run as this uid/gid (only as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** @default 15000 */
  readonly timeoutMs?: number;
  /** A command that runs Node.js and ends in it by exec, such as `['taskset', '-c', '0']`: the pid stays the server's. */
  readonly wrapper?: readonly string[];
  /** Keep only the last this many characters of output, for a server that logs for minutes. @default all of it */
  readonly keepOutputChars?: number;
}

/**
 * Starts the built service (`node dist/server.js`, or `args`) on an ephemeral loopback port, and resolves once it
 * logs where it listens. Run `npm run build` first (npm test does, in pretest).
 */
export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const [command = process.execPath, ...wrapperArgs] = options.wrapper ?? [];
  const nodeArgs = [...(options.args ?? ['dist/server.js'])];
  const child = spawn(command, options.wrapper ? [...wrapperArgs, process.execPath, ...nodeArgs] : nodeArgs, {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  let output = '';
  const keep = options.keepOutputChars ?? Infinity;
  const append = (chunk: string) => {
    output += chunk;
    if (output.length > keep) output = output.slice(-keep);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));

  const timeoutMs = options.timeoutMs ?? 15_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${output}`));
    });
  });

  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
