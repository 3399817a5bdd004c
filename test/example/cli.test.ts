import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { run } from '../../src/example/cli.ts';
import { ROOT } from '../../tools/root.ts';
import { IDENTITY } from '../../src/identity.ts';

function runCli(args: string[]) {
  let out = '';
  let err = '';
  const code = run(
    args,
    (text) => (out += text),
    (text) => (err += text),
  );
  return { code, out, err };
}

suite(`${IDENTITY.slug} command`, () => {
  test('prints the real time', () => {
    assert.deepEqual(runCli(['12:22']), { code: 0, out: '11:38\n', err: '' });
  });

  test('--json prints the API answer', () => {
    assert.deepEqual(runCli(['--json', '2:11']), {
      code: 0,
      out: '{"mirror_time":"02:11","actual_time":"09:49"}\n',
      err: '',
    });
  });

  test('--help explains both forms', () => {
    const { code, out } = runCli(['--help']);
    assert.equal(code, 0);
    assert.match(out, new RegExp(String.raw`${IDENTITY.slug} 12:22 +prints 11:38`));
    assert.match(out, /--json/);
  });

  test('a bad time prints the API message to stderr and exits 2', () => {
    assert.deepEqual(runCli(['13:20']), {
      code: 2,
      out: '',
      err: `${IDENTITY.slug}: mirror_time "13:20" is not valid: expected HH:MM or HH:MM:SS (hours 1-12, minutes and seconds 00-59)\n`,
    });
  });

  test('no time, two times or an unknown option exit 2 with the usage', () => {
    for (const args of [[], ['1:00', '2:00'], ['--loud', '1:00']]) {
      const { code, out, err } = runCli(args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(out, '');
      assert.match(err, new RegExp(String.raw`Usage: ${IDENTITY.slug}`));
    }
  });

  test('the built bin runs as a program', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/cli.js', '12:22'], { cwd: ROOT });
    assert.equal(stdout, '11:38\n');
    await assert.rejects(
      promisify(execFile)(process.execPath, ['dist/cli.js', '00:20'], { cwd: ROOT }),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /mirror_time "00:20" is not valid/);
        return true;
      },
    );
  });
});
