/**
 * The secrets gate (scripts/scan.ts) on a temporary copy of the repository's tracked files. The planted secrets are
 * put together here, at run time, so that the repository itself never holds one and its own scan stays clean.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { indexedFiles } from '../../scripts/scan.ts';
import { ROOT } from '../../tools/root.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

// Shaped like real ones, and neither is AWS's documented example, which the rules ignore.
const ACCESS_KEY_ID = ['AKIA', 'QYLPMN5HHHFPZAM2'].join('');
const PRIVATE_KEY = [
  ['-----BEGIN RSA PRIV', 'ATE KEY-----'].join(''),
  'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7Lw9Jz2YqK7Xr+abcd',
  'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7Lw9Jz2YqK7Xr+abcd',
  ['-----END RSA PRIV', 'ATE KEY-----'].join(''),
].join('\n');

const git = (cwd: string, ...args: string[]) => {
  const run = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
};

/** A git repository holding the working-tree copy of every file this one tracks, all committed. */
function copyOfRepository(): string {
  const copy = temporaryFolder('scan');
  for (const file of indexedFiles(ROOT)) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  git(copy, 'init', '-q');
  git(copy, 'add', '-A');
  git(copy, 'commit', '-q', '-m', 'copy');
  return copy;
}

const scan = (cwd: string) => {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/scan.ts'), '--cwd', cwd], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
};

suite('npm run scan: secrets detection', () => {
  const copy = copyOfRepository();

  test('the repository as it is has no finding', () => {
    const run = scan(copy);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /secrets scan: \d+ files, no finding/);
  });

  test('a staged AWS access key id and a private key in a tracked file fail it, each named by file and line', () => {
    writeFileSync(join(copy, 'src/planted.ts'), `export const keyId = '${ACCESS_KEY_ID}';\n`);
    git(copy, 'add', 'src/planted.ts');
    const readmeLines = readFileSync(join(copy, 'README.md'), 'utf8').split('\n').length;
    appendFileSync(join(copy, 'README.md'), `${PRIVATE_KEY}\n`);
    const run = scan(copy);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /src\/planted\.ts:1:\d+: \[AWSAccessKeyID\]/);
    assert.match(run.stdout, new RegExp(`README\\.md:${String(readmeLines)}:\\d+: \\[PrivateKey\\]`));
    // Masked: the log of a failed scan does not hand the secret on.
    assert.doesNotMatch(run.stdout, new RegExp(ACCESS_KEY_ID));
    assert.match(run.stderr, /secrets scan: failed/);
  });

  test('a file git does not know is not scanned: only what could be committed is', () => {
    git(copy, 'rm', '-q', '--cached', 'src/planted.ts');
    const readme = readFileSync(join(copy, 'README.md'), 'utf8');
    writeFileSync(join(copy, 'README.md'), readme.replace(`${PRIVATE_KEY}\n`, ''));
    const run = scan(copy);
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  test('an allowed value lets that finding through, and only that one', () => {
    git(copy, 'add', 'src/planted.ts');
    writeFileSync(join(copy, 'src/other.ts'), `export const keyId = '${ACCESS_KEY_ID.replace('QY', 'ZZ')}';\n`);
    git(copy, 'add', 'src/other.ts');
    const config = join(copy, '.secretlintrc.yml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace("- '333333333333'", `- '333333333333'\n            - '${ACCESS_KEY_ID}'`),
    );
    const run = scan(copy);
    assert.equal(run.status, 1);
    assert.doesNotMatch(run.stdout, /planted\.ts/);
    assert.match(run.stdout, /src\/other\.ts:1:\d+: \[AWSAccessKeyID\]/);
  });
});
