/**
 * `npm run scan`: secrets detection over every file git tracks or has staged, with secretlint and its recommended
 * rules (.secretlintrc.yml). A finding fails the scan and is printed as file:line:column with the rule that found
 * it; the secret itself is masked. Allow-listing is explicit and per finding: a value in the rule's `allows` list in
 * .secretlintrc.yml, or a `secretlint-disable-line` comment on the line, each with the reason beside it
 * (docs/ci-cd.md#secrets-detection).
 *
 * Usage: node scripts/scan.ts [--cwd <a git checkout>]   (default: this repository)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tools/root.ts';

/** Files in git's index, which holds the tracked files and the staged ones; a file deleted but not staged is gone. */
export function indexedFiles(cwd: string): string[] {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached'], { cwd, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${cwd}: ${listed.stderr.trim()}`);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- paths git listed, inside the checkout
  return listed.stdout.split('\0').filter((file) => file !== '' && existsSync(join(cwd, file)));
}

function main(): number {
  const { values } = parseArgs({ options: { cwd: { type: 'string', default: ROOT } } });
  const cwd = values.cwd;
  const config = join(cwd, '.secretlintrc.yml');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the checkout the operator names with --cwd
  if (!existsSync(config)) {
    console.error(`secrets scan: ${config} is missing, so no rule would run`);
    return 1;
  }
  const files = indexedFiles(cwd);
  const scan = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'secretlint'),
    ['--secretlintrc', config, '--format', 'unix', '--no-color', '--no-glob', '--no-gitignore', ...files],
    { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (scan.error !== undefined) {
    console.error(`secrets scan: secretlint did not run: ${scan.error.message}`);
    return 1;
  }
  if (scan.status === 0) {
    console.log(`secrets scan: ${String(files.length)} files, no finding`);
    return 0;
  }
  // secretlint prints one line per finding, path:line:column: [rule] message; and its own errors on stderr.
  process.stdout.write(scan.stdout);
  process.stderr.write(scan.stderr);
  console.error('secrets scan: failed; remove the secret (and rotate it), or allow that one finding with a reason');
  return 1;
}

if (process.argv[1] === import.meta.filename) process.exit(main());
