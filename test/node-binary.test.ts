/** The Node.js binary that the `node` devDependency installed is the one node-binary-sha256.json records. */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPins, verifyNodeBinary } from '../tools/node-binary.ts';
import { ROOT } from '../tools/root.ts';
import { temporaryFolder } from './helpers/temporary-folder.ts';

const installed = join(ROOT, 'node_modules/node/bin/node');
const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/node/package.json'), 'utf8')) as {
  version: string;
};
const platform = `${process.platform}-${process.arch}`;

suite('the Node.js binary, outside the lock file, checked against its recorded sha256', () => {
  test('the pins are for the version package.json pins, for x64 and arm64 Linux', () => {
    const pins = readPins();
    assert.equal(pins.version, version);
    assert.deepEqual(Object.keys(pins.platforms).sort(), ['linux-arm64', 'linux-x64']);
    for (const [name, pin] of Object.entries(pins.platforms)) {
      assert.match(pin.sha256, /^[0-9a-f]{64}$/, name);
      assert.equal(pin.package, `node-${name}@${version}`);
    }
  });

  test('the installed binary, which runs every npm script and goes into the stand-in base image, matches', async () => {
    await verifyNodeBinary(installed, version, platform);
  });

  test('a binary changed by one byte is refused, naming both digests', async () => {
    const changed = join(temporaryFolder('node-binary'), 'node');
    copyFileSync(installed, changed);
    writeFileSync(changed, 'x', { flag: 'r+' });
    await assert.rejects(verifyNodeBinary(changed, version, platform), /has sha256 [0-9a-f]{64}, not the [0-9a-f]{64}/);
  });

  test('another version, or a platform without a pin, is refused rather than passed', async () => {
    await assert.rejects(verifyNodeBinary(installed, '24.0.0', platform), /, but node-binary-sha256\.json pins /);
    await assert.rejects(verifyNodeBinary(installed, version, 'darwin-arm64'), /no sha256 for darwin-arm64/);
  });
});
