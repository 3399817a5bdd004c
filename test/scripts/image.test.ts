/**
 * `npm run image` and `npm run image:base` read `--platform` before they look for an engine: a bad argument stops
 * them at once, with the accepted form and exit code 1, on any machine.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from '../helpers/script-run.ts';

suite('npm run image and image:base: the --platform argument', () => {
  for (const [script, name] of [
    ['scripts/image.ts', 'image'],
    ['scripts/base-image.ts', 'image:base'],
  ] as const) {
    test(`${name}: an unknown platform stops it with the accepted ones and exit 1`, async () => {
      const run = await runScript(script, '--platform', 'linux/s390x');
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `npm run ${name}: --platform linux/s390x: expected linux/amd64 or linux/arm64\n`);
      assert.equal(run.stdout, '');
    });

    test(`${name}: any other option stops it, naming --platform`, async () => {
      const run = await runScript(script, '--arch', 'arm64');
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `npm run ${name}: Unknown option '--arch'; the only option is --platform linux/<amd64|arm64>\n`,
      );
    });
  }
});
