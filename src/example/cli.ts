#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { IDENTITY } from '../identity.ts';
import { invalidTimeMessage, solve } from './mirror.ts';

/** The command's name: the package's `bin`, which is the service's slug. */
const NAME = IDENTITY.slug;

const USAGE = `Usage: ${NAME} [--json] <mirror-time>

Prints the real time for a clock read in a mirror.

  ${NAME} 12:22          prints 11:38
  ${NAME} --json 12:22   prints {"mirror_time":"12:22","actual_time":"11:38"}

<mirror-time> is HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59).
Exit codes: 0 answered, 2 bad usage or time.
`;

/** Exit code 2 for anything the caller got wrong, as command-line tools do. */
export function run(args: string[], out: (text: string) => void, err: (text: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    err(`${NAME}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help === true) {
    out(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    err(`${NAME}: expected one mirror time, got ${parsed.positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const [value] = parsed.positionals as [string];
  const answer = solve(value);
  if (answer === undefined) {
    err(`${NAME}: ${invalidTimeMessage('mirror_time', value)}\n`);
    return 2;
  }
  out(parsed.values.json === true ? `${JSON.stringify(answer)}\n` : `${answer.actual_time}\n`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = run(
    process.argv.slice(2),
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}
