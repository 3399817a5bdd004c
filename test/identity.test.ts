/**
 * The identity (src/identity.ts) is the one place the service's name is written: everything else derives it, so a
 * rename touches that file alone (and the package files, held to it here).
 */
import { test, suite } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY } from '../src/identity.ts';
import { ROOT } from '../tools/root.ts';
import packageJson from '../package.json' with { type: 'json' };

/** Where the name may be written: the identity, prose about the project, and what npm derives from package.json. */
const ALLOWED = [
  /^src\/identity\.ts$/,
  /^package(-lock)?\.json$/,
  // The example is the template's own puzzle: adopters delete it (npm run rename -- <slug> --drop-example).
  /^src\/example\//,
  /^test\/example\//,
  // Prose: it names the project it describes, and a rename rewrites the commands in it.
  /^docs\//,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  // The MIT notice names the template's authors, which a copy must keep.
  /^LICENSE$/,
  // The rename and its test give example slugs, which may be the one a rename chose.
  /^scripts\/rename\.ts$/,
  /^test\/scripts\/rename\.test\.ts$/,
];

/** Every spelling of the identity's values that code could hold: its id, slug and name, and the slug in snake case. */
function spellings(): string[] {
  const words = IDENTITY.slug.split('-');
  return [
    IDENTITY.id,
    IDENTITY.slug,
    IDENTITY.name,
    words.join('_'),
    words.join('_').toUpperCase(),
    words.join(' '),
  ].filter((spelling, index, all) => all.indexOf(spelling) === index);
}

suite('the identity', () => {
  test('its values have the forms their uses need', () => {
    // Stack ids: letters and digits (CloudFormation allows hyphens too; the id's parts are joined by them).
    assert.match(IDENTITY.id, /^[A-Z][A-Za-z0-9]*$/);
    // npm package names, ECR repository names, SSM path segments and tag values all accept this.
    assert.match(IDENTITY.slug, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    assert.ok(IDENTITY.name.trim() === IDENTITY.name && IDENTITY.name.length > 0);
    assert.match(IDENTITY.healthPath, /^\/[A-Za-z0-9/_-]*$/);
    assert.ok(Number.isInteger(IDENTITY.port) && IDENTITY.port > 0 && IDENTITY.port < 65536);
    assert.ok(IDENTITY.checks.some((check) => check.path === IDENTITY.healthPath && check.status === 200));
  });

  test("package.json's name, its command and the lock file are the slug", () => {
    assert.equal(packageJson.name, IDENTITY.slug);
    for (const command of Object.keys((packageJson as { bin?: Record<string, string> }).bin ?? {})) {
      assert.equal(command, IDENTITY.slug);
    }
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      name: string;
      packages: Record<string, { name?: string }>;
    };
    assert.equal(lock.name, IDENTITY.slug);
    assert.equal(lock.packages['']?.name, IDENTITY.slug);
  });

  test('no tracked file outside the identity, the docs and the example spells the name', () => {
    // git grep reads the work tree, so an uncommitted copy is found too; -I skips binary files.
    const pattern = spellings()
      .map((spelling) => spelling.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|');
    let output = '';
    try {
      output = execFileSync('git', ['grep', '-n', '-I', '-i', '-E', pattern], { cwd: ROOT, encoding: 'utf8' });
    } catch (error) {
      // Exit status 1: no line matched anywhere.
      if ((error as { status?: number }).status !== 1) throw error;
    }
    const copies = output
      .split('\n')
      .filter((line) => line !== '')
      .filter((line) => !ALLOWED.some((allowed) => allowed.test(line.slice(0, line.indexOf(':')))));
    assert.deepEqual(copies, [], `derive these from src/identity.ts:\n${copies.join('\n')}`);
  });
});
