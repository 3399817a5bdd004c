import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../tools/root.ts';
import { allowListProblems, readAudit, type AllowEntry } from '../../scripts/audit.ts';

const FIXTURES = join(ROOT, 'test/scripts/fixtures/npm-audit');
const HIGH = 'GHSA-8r8j-xvfj-36f9';
const TODAY = '2026-12-06';

/** The environment of a developer's machine: neither GitHub Actions nor CodeBuild, whatever runs these tests. */
const LOCAL = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'GITHUB_ACTIONS' && name !== 'CODEBUILD_BUILD_ID'),
);

/** Runs scripts/audit.ts on a recorded output, with the given allow list, in a local environment plus `env`. */
function audit(fixture: string, allow: readonly unknown[], ...args: string[]) {
  return auditIn({}, fixture, allow, ...args);
}

function auditIn(env: NodeJS.ProcessEnv, fixture: string, allow: readonly unknown[], ...args: string[]) {
  const allowlist = join(mkdtempSync(join(tmpdir(), 'audit-')), 'allow.json');
  writeFileSync(allowlist, JSON.stringify(allow));
  const result = spawnSync(
    process.execPath,
    ['scripts/audit.ts', '--input', join(FIXTURES, fixture), '--allowlist', allowlist, '--today', TODAY, ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...LOCAL, ...env } },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const allowHigh = (expires: string, reason = 'fixed upstream in 6.0.1; fastify pins it next week') => [
  { id: HIGH, reason, expires },
];

suite('npm audit policy', () => {
  test('no advisory passes', () => {
    const run = audit('clean.json', []);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /0 advisories, 0 blocking/);
  });

  test('a high advisory blocks, naming it; the moderate one is printed and does not', () => {
    const run = audit('high-and-moderate.json', []);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`blocking: high fast-json-stringify ${HIGH}`));
    assert.doesNotMatch(run.stderr, /blocking: moderate/);
    assert.match(run.stdout, /moderate pino GHSA-4w2j-2rg4-5mjw/);
    assert.match(run.stdout, /2 advisories, 1 blocking/);
  });

  test('an allow list entry with a reason and a future expiry lets it through, and says so', () => {
    const run = audit('high-and-moderate.json', allowHigh('2027-01-15'));
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /allowed until 2027-01-15: fixed upstream in 6\.0\.1/);
  });

  test('an expired entry fails, even where the endpoint gives no answer', () => {
    for (const fixture of ['high-and-moderate.json', 'clean.json', 'endpoint-405.json']) {
      const run = audit(fixture, allowHigh(TODAY));
      assert.equal(run.status, 1, fixture);
      assert.match(run.stderr, new RegExp(`${HIGH}: the allowance expired on ${TODAY}`), fixture);
    }
  });

  test('an entry without a reason, or with a date that is not one, allows nothing', () => {
    const problems = allowListProblems(
      [
        { id: HIGH, reason: ' ', expires: '2027-01-15' },
        { id: 'GHSA-4w2j-2rg4-5mjw', reason: 'r', expires: 'next week' },
        { id: 'CVE-2026-1234', reason: 'r', expires: '2027-01-15' },
      ] satisfies AllowEntry[],
      TODAY,
    );
    assert.deepEqual(problems, [
      `${HIGH}: no reason given`,
      'GHSA-4w2j-2rg4-5mjw: expires "next week" is not a YYYY-MM-DD date',
      'CVE-2026-1234: not a GHSA id',
    ]);
    assert.equal(audit('high-and-moderate.json', allowHigh('2027-01-15', '')).status, 1);
  });
});

suite('an audit endpoint that does not answer', () => {
  for (const fixture of ['endpoint-405.json', 'network-enotfound.json']) {
    test(`${fixture}: locally, one line says the audit was skipped`, () => {
      const run = audit(fixture, []);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, 'skipped: audit endpoint unreachable\n');
    });

    test(`${fixture}: with --require-endpoint (the pipeline), it fails`, () => {
      const run = audit(fixture, [], '--require-endpoint');
      assert.equal(run.status, 1);
      assert.match(run.stderr, /audit endpoint unreachable \(.+\): the audit cannot pass without an answer/);
    });

    for (const ci of [{ GITHUB_ACTIONS: 'true' }, { CODEBUILD_BUILD_ID: 'project:0b7a5c1e' }]) {
      test(`${fixture}: on ${Object.keys(ci)[0]!} CI, even without the flag, it fails`, () => {
        const run = auditIn(ci, fixture, []);
        assert.equal(run.status, 1);
        assert.match(run.stderr, /audit endpoint unreachable \(.+\): the audit cannot pass without an answer/);
      });
    }
  }

  test('anything else it cannot read fails rather than passes', () => {
    assert.throws(() => readAudit('npm ERR! something'), /npm audit printed no JSON/);
    assert.throws(() => readAudit('{"error":{"code":"EAUDITNOLOCK"}}'), /neither a report nor a network error/);
    assert.throws(() => readAudit('{}'), /neither a report nor a network error/);
  });
});
