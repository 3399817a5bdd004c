/**
 * tools/platform.ts: which architecture a script builds for, and whether this machine can run another one's
 * programs, read from binfmt_misc as the kernel lists it (fixtures here: no root, no emulation needed).
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emulationUnavailable, hostArchitecture, parsePlatform, platformOption } from '../../tools/platform.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

/** What Debian 12's qemu-user-static registers (/usr/lib/binfmt.d/qemu-aarch64.conf), as the kernel lists it. */
const DEBIAN_AARCH64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`;

/** A binfmt_misc folder as the kernel shows it: `status`, `register`, one file per handler. */
function binfmtMisc(handlers: Record<string, string>, status = 'enabled'): string {
  const dir = join(temporaryFolder('binfmt'), 'binfmt_misc');
  mkdirSync(dir);
  writeFileSync(join(dir, 'status'), `${status}\n`);
  writeFileSync(join(dir, 'register'), '');
  for (const [name, text] of Object.entries(handlers)) writeFileSync(join(dir, name), text);
  return dir;
}

suite('the architecture to build for', () => {
  test("the host's, in OCI's names", () => {
    assert.equal(hostArchitecture('x64'), 'amd64');
    assert.equal(hostArchitecture('arm64'), 'arm64');
    assert.throws(() => hostArchitecture('ia32'), /not on ia32/);
  });

  test('--platform takes linux/amd64 and linux/arm64, and names them when it gets anything else', () => {
    assert.equal(parsePlatform('linux/arm64'), 'arm64');
    assert.equal(parsePlatform('linux/amd64'), 'amd64');
    for (const bad of ['arm64', 'linux/arm/v7', 'darwin/arm64', ''])
      assert.throws(() => parsePlatform(bad), { message: `--platform ${bad}: expected linux/amd64 or linux/arm64` });
  });

  test("a script's arguments: --platform in either form, else the host's; any other option stops it", () => {
    assert.equal(platformOption([]), hostArchitecture());
    assert.equal(platformOption(['--platform', 'linux/arm64']), 'arm64');
    assert.equal(platformOption(['--platform=linux/amd64']), 'amd64');
    assert.throws(() => platformOption(['--arch', 'arm64']), /Unknown option '--arch'; the only option is --platform/);
    assert.throws(() => platformOption(['--platform', 'linux/s390x']), /expected linux\/amd64 or linux\/arm64/);
  });
});

suite('emulation of another architecture (binfmt_misc)', () => {
  const check = (binfmt: string, host: 'amd64' | 'arm64' = 'amd64') =>
    emulationUnavailable('arm64', { host, binfmtMisc: binfmt });

  test("the host's own architecture needs none, whatever binfmt_misc holds", () => {
    assert.equal(check('/nonexistent', 'arm64'), undefined);
  });

  test("Debian's qemu-user-static registration runs arm64 programs, in containers too (the F flag)", () => {
    assert.equal(check(binfmtMisc({ 'qemu-aarch64': DEBIAN_AARCH64 })), undefined);
  });

  test("so does Docker's (tonistiigi/binfmt, flags POCF), under another name, among other handlers", () => {
    const docker = DEBIAN_AARCH64.replace('flags: PF', 'flags: POCF').replace(
      /interpreter .*/,
      'interpreter /usr/bin/qemu-aarch64',
    );
    const riscv = DEBIAN_AARCH64.replace(/magic .*/, 'magic 7f454c460201010000000000000000000200f300');
    assert.equal(check(binfmtMisc({ 'qemu-riscv64': riscv, 'aarch64-docker': docker })), undefined);
  });

  test('binfmt_misc not mounted: says so, with the mount and the registration', () => {
    assert.equal(
      check('/nonexistent'),
      'no emulation of arm64: binfmt_misc is not mounted; as root: mount -t binfmt_misc binfmt_misc ' +
        '/proc/sys/fs/binfmt_misc, apt-get install qemu-user-static, then write ' +
        '/usr/lib/binfmt.d/qemu-aarch64.conf to /proc/sys/fs/binfmt_misc/register (.ci/run does this)',
    );
  });

  test('binfmt_misc switched off as a whole', () => {
    assert.match(check(binfmtMisc({ 'qemu-aarch64': DEBIAN_AARCH64 }, 'disabled'))!, /binfmt_misc is disabled/);
  });

  test('no handler for arm64: one for x86_64 and a disabled one for arm64 do not count', () => {
    const x86 = DEBIAN_AARCH64.replace(/magic .*/, 'magic 7f454c4602010100000000000000000002003e00');
    const disabled = DEBIAN_AARCH64.replace('enabled', 'disabled');
    assert.match(
      check(binfmtMisc({ 'qemu-x86_64': x86, 'qemu-aarch64': disabled }))!,
      /^no emulation of arm64: binfmt_misc has no enabled handler for it; as root: apt-get install qemu-user-static/,
    );
  });

  test('a handler without the F flag: rootless containers cannot open the interpreter, so it does not count', () => {
    const withoutF = DEBIAN_AARCH64.replace('flags: PF', 'flags: P');
    assert.equal(
      check(binfmtMisc({ 'qemu-aarch64': withoutF })),
      'no emulation of arm64 in containers: /usr/libexec/qemu-binfmt/aarch64-binfmt-P is registered without the F ' +
        '(fix-binary) flag; as root: echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64, then write ' +
        '/usr/lib/binfmt.d/qemu-aarch64.conf to /proc/sys/fs/binfmt_misc/register (.ci/run does this)',
    );
  });
});
