/**
 * The scan gate (infra/lib/pipeline/steps/image-scan-gate.ts) on recorded `aws ecr describe-image-scan-findings` outputs,
 * served one per call by a stub `aws` on PATH: waiting for the scan, judging its findings, and failing closed.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockingFindings, readScan } from '../../infra/lib/pipeline/steps/image-scan-gate.ts';
import { ROOT } from '../../tools/root.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

const FIXTURES = join(ROOT, 'test/infra/fixtures/image-scan');
const DIGEST = 'sha256:4a3c9e3f2b1d0c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
const TODAY = '2026-12-07';

/**
 * Runs the gate with `aws` answering each call with the next of `answers`: a fixture's name, `not-found` (ECR has not
 * started the scan), or `denied`. The last answer repeats. Returns the exit status, the output and the aws calls.
 */
function gate(answers: readonly string[], allow: readonly unknown[] = [], ...args: string[]) {
  const dir = temporaryFolder('scan-gate');
  const aws = join(dir, 'aws');
  writeFileSync(
    aws,
    `#!/usr/bin/env bash
echo "$*" >> "${dir}/calls"
answers=(${answers.join(' ')})
n=$(wc -l < "${dir}/calls")
answer=\${answers[$(( n <= \${#answers[@]} ? n - 1 : \${#answers[@]} - 1 ))]}
case "$answer" in
  not-found) echo "An error occurred (ScanNotFoundException) when calling the DescribeImageScanFindings operation: Image scan does not exist for the image" >&2; exit 254 ;;
  denied) echo "An error occurred (AccessDeniedException) when calling the DescribeImageScanFindings operation" >&2; exit 254 ;;
  *) cat "${FIXTURES}/$answer.json" ;;
esac
`,
  );
  chmodSync(aws, 0o755);
  const allowlist = join(dir, 'allow.json');
  writeFileSync(allowlist, JSON.stringify(allow));
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'infra/lib/pipeline/steps/image-scan-gate.ts'),
      '--repository',
      'service',
      '--digest',
      DIGEST,
      '--allowlist',
      allowlist,
      '--today',
      TODAY,
      '--poll-seconds',
      '0.05',
      // Bounded, whatever the gate does; a test that needs another wait passes its own, which wins.
      '--wait-seconds',
      '5',
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } },
  );
  const calls = (() => {
    try {
      return readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  })();
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls };
}

const allowPam = (expires: string) => [
  { id: 'CVE-2025-6020', reason: 'pam_namespace is not used: the service has no login; Debian fix due', expires },
];

suite('scan gate: a finished scan', () => {
  test('a HIGH finding blocks, naming it; MEDIUM and LOW do not', () => {
    const run = gate(['basic-high']);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /HIGH pam CVE-2025-6020 \(blocking\)/);
    assert.match(run.stdout, /3 findings, 1 blocking/);
    assert.deepEqual(run.calls, [
      `ecr describe-image-scan-findings --repository-name service --image-id imageDigest=${DIGEST} --output json`,
    ]);
  });

  test('no finding above MEDIUM passes', () => {
    const run = gate(['basic-clean']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /1 findings, 0 blocking/);
  });

  test('an allow-list entry with a reason and a later expiry accepts that finding, and says so', () => {
    const run = gate(['basic-high'], allowPam('2027-01-31'));
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /HIGH pam CVE-2025-6020 \(allowed until 2027-01-31: pam_namespace is not used/);
  });

  test('an expired entry fails the gate, even when nothing it names is found', () => {
    for (const fixture of ['basic-high', 'basic-clean']) {
      const run = gate([fixture], allowPam(TODAY));
      assert.equal(run.status, 1, fixture);
      assert.match(run.stderr, /CVE-2025-6020: the allowance expired on 2026-12-07/, fixture);
    }
  });

  test('an entry without a reason, or for something that is not a CVE, allows nothing', () => {
    const noReason = gate(['basic-high'], [{ id: 'CVE-2025-6020', reason: ' ', expires: '2027-01-31' }]);
    assert.equal(noReason.status, 1);
    assert.match(noReason.stderr, /CVE-2025-6020: no reason given/);
    const notCve = gate(['basic-clean'], [{ id: 'pam', reason: 'whatever', expires: '2027-01-31' }]);
    assert.equal(notCve.status, 1);
    assert.match(notCve.stderr, /pam: not a CVE or GHSA id/);
  });

  test('enhanced scanning: an ACTIVE CRITICAL blocks; a SUPPRESSED HIGH does not count', () => {
    const run = gate(['enhanced-active']);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /CRITICAL openssl CVE-2025-9230 \(blocking\)/);
    assert.doesNotMatch(run.stdout, /CVE-2025-6020/);
    assert.match(run.stdout, /2 findings, 1 blocking/);
  });
});

suite('scan gate: waiting, and failing closed', () => {
  test('waits while ECR has not started or not finished the scan, then judges the result', () => {
    const run = gate(['not-found', 'basic-in-progress', 'basic-clean']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.calls.length, 3);
    assert.match(run.stdout, /no scan yet; waiting/);
    assert.match(run.stdout, /IN_PROGRESS: Scan in progress\.; waiting/);
  });

  test('no result within the wait fails the gate', () => {
    const run = gate(['basic-in-progress'], [], '--wait-seconds', '0.3');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no scan result for sha256:[0-9a-f]{64} within 0\.3 s \(IN_PROGRESS/);
    assert.ok(run.calls.length >= 2 && run.calls.length <= 8, String(run.calls.length));
  });

  test('an image ECR cannot scan fails the gate rather than passing with no findings', () => {
    const run = gate(['basic-unsupported']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /gave no findings to judge \(UNSUPPORTED_IMAGE: The operating system/);
  });

  test('an error from ECR (no permission) fails the gate', () => {
    const run = gate(['denied']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /AccessDeniedException/);
  });

  test('a digest that is not one stops before asking ECR', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'infra/lib/pipeline/steps/image-scan-gate.ts'), '--repository', 'service', '--digest', '1.4.0'],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /needs --repository <name> and --digest sha256:<64 hex digits>/);
  });
});

suite('scan gate: reading the findings', () => {
  test('basic and enhanced shapes give the same findings', () => {
    const basic = readScan(readFileSync(join(FIXTURES, 'basic-high.json'), 'utf8'));
    assert.deepEqual(basic.kind === 'done' && basic.findings[0], {
      id: 'CVE-2025-6020',
      severity: 'HIGH',
      packageName: 'pam',
    });
    const enhanced = readScan(readFileSync(join(FIXTURES, 'enhanced-active.json'), 'utf8'));
    assert.deepEqual(enhanced.kind === 'done' && enhanced.findings.map((finding) => finding.id), [
      'CVE-2025-9230',
      'CVE-2025-4802',
    ]);
    assert.deepEqual(
      blockingFindings(enhanced.kind === 'done' ? enhanced.findings : [], [], TODAY).map((finding) => finding.severity),
      ['CRITICAL'],
    );
  });

  test('the repository allow list is well formed and current', () => {
    const entries = JSON.parse(readFileSync(join(ROOT, 'image-scan-allowlist.json'), 'utf8')) as unknown[];
    assert.ok(Array.isArray(entries));
    const run = gate(['basic-clean'], entries);
    assert.equal(run.status, 0, run.stderr);
  });
});
