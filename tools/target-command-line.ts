/**
 * The command line of the scripts aimed at a running service (smoke, acceptance, loadtest): one http(s) base URL and
 * the script's options, read with node:util's parseArgs. A usage error prints what is wrong, then the usage, and exits.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Prints what is wrong with the command line and exits: 1, or 2 for the smoke test, whose 1 is a failed check. */
export function usageError(message: string, exitCode = 1): never {
  console.error(message);
  process.exit(exitCode);
}

export function targetCommandLine<const Options extends ParseArgsOptionsConfig>(
  usage: string,
  options: Options,
  /** @default 1 */
  usageExitCode = 1,
) {
  const fail = (message: string) => usageError(message, usageExitCode);
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options });
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`);
  }
  const [target, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) return fail(usage);
  if (!URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) {
    return fail(`"${target}" is not an http(s) URL\n${usage}`);
  }
  return { values: parsed.values, target };
}
