/**
 * The signature check before each deploy (infra/lib/pipeline/steps/verify-signature.sh), with `notation` and `aws`
 * stubbed on PATH. The stub notation plays the verifier: it accepts the image only when the trust policy the script
 * imported trusts the profile that signed it (STUB_SIGNED_BY; unset, the image has no signature).
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../tools/root.ts';
import { temporaryFolder } from '../helpers/temporary-folder.ts';

const SCRIPT = join(ROOT, 'infra/lib/pipeline/steps/verify-signature.sh');
const REPOSITORY_URI = '333333333333.dkr.ecr.eu-west-1.amazonaws.com/service';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const PROFILE = 'arn:aws:signer:eu-west-1:333333333333:/signing-profiles/ImageSigningProfile1A2B3C';
const OTHER_PROFILE = 'arn:aws:signer:eu-west-1:444444444444:/signing-profiles/SomeoneElse';

const NOTATION = `#!/usr/bin/env bash
echo "$*" >> "$STUB_DIR/notation-calls"
case "$1 $2" in
  "plugin ls")
    echo "NAME                                   DESCRIPTION                      VERSION   CAPABILITIES"
    [ -n "\${STUB_NO_PLUGIN:-}" ] || echo "com.amazonaws.signer.notation.plugin   AWS Signer plugin for Notation   1.0.298   [SIGNATURE_GENERATOR.ENVELOPE SIGNATURE_VERIFIER.TRUSTED_IDENTITY SIGNATURE_VERIFIER.REVOCATION_CHECK]" ;;
  "policy import") cp "$4" "$STUB_DIR/policy.json" ;;
  "login --username") cat > "$STUB_DIR/password" ;;
  verify*)
    if [ -z "\${STUB_SIGNED_BY:-}" ]; then
      echo "Error: signature verification failed: no signature is associated with \\"$2\\", make sure the artifact was signed successfully" >&2; exit 1
    fi
    if grep -q "\\"$STUB_SIGNED_BY\\"" "$STUB_DIR/policy.json"; then echo "Successfully verified signature for $2"; exit 0; fi
    echo "Error: signature verification failed for all the signatures associated with $2" >&2; exit 1 ;;
  *) echo "unexpected notation $*" >&2; exit 2 ;;
esac
`;
const AWS = `#!/usr/bin/env bash
[ "$*" = "ecr get-login-password" ] && echo stub-token || { echo "unexpected aws $*" >&2; exit 2; }
`;

interface Options {
  readonly signedBy?: string;
  readonly withNotation?: boolean;
  readonly noPlugin?: boolean;
  readonly env?: Record<string, string>;
}

function verify(options: Options = {}) {
  const dir = temporaryFolder('verify-signature');
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  write('aws', AWS);
  if (options.withNotation ?? true) write('notation', NOTATION);
  const run = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: {
      // No notation anywhere but in the stub folder, when there is one there.
      PATH: `${dir}:/usr/bin:/bin`,
      STUB_DIR: dir,
      REPOSITORY_URI,
      IMAGE_DIGEST: DIGEST,
      SIGNING_PROFILE_ARN: PROFILE,
      ...(options.signedBy === undefined ? {} : { STUB_SIGNED_BY: options.signedBy }),
      ...(options.noPlugin === true ? { STUB_NO_PLUGIN: '1' } : {}),
      ...options.env,
    },
  });
  const policy = existsSync(join(dir, 'policy.json'))
    ? (JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')) as {
        trustPolicies: Record<string, unknown>[];
      })
    : undefined;
  const calls = existsSync(join(dir, 'notation-calls')) ? readFileSync(join(dir, 'notation-calls'), 'utf8') : '';
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, policy, calls };
}

suite('verify-signature.sh: the signature check before each deploy', () => {
  test('an image signed by the pipeline profile passes, verified by digest against a policy trusting that profile', () => {
    const run = verify({ signedBy: PROFILE });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`${REPOSITORY_URI}@${DIGEST} is signed by`));
    assert.deepEqual(run.policy?.trustPolicies, [
      {
        name: 'pipeline-signing-profile',
        registryScopes: [REPOSITORY_URI],
        signatureVerification: { level: 'strict' },
        trustStores: ['signingAuthority:aws-signer-ts'],
        trustedIdentities: [PROFILE],
      },
    ]);
    assert.match(
      run.calls,
      new RegExp(`^login --username AWS --password-stdin 333333333333\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com$`, 'm'),
    );
    assert.match(run.calls, new RegExp(`^verify ${REPOSITORY_URI}@${DIGEST}$`, 'm'));
  });

  test('an image with no signature fails', () => {
    const run = verify();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no signature is associated/);
    assert.match(run.stderr, /is not signed by arn:aws:signer:.*: not deploying it/);
  });

  test('an image signed by another profile fails', () => {
    const run = verify({ signedBy: OTHER_PROFILE });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /signature verification failed for all the signatures/);
  });

  test('without notation it fails, rather than deploy unchecked', () => {
    const run = verify({ withNotation: false, signedBy: PROFILE });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /notation is not installed: the signature cannot be checked, so nothing is deployed/);
  });

  test('without the AWS Signer plugin it fails', () => {
    const run = verify({ noPlugin: true, signedBy: PROFILE });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /the AWS Signer plugin for notation is not installed/);
    assert.doesNotMatch(run.calls, /^verify/m);
  });

  test('without a digest, or with a tag in its place, it fails before asking anyone', () => {
    const missing = verify({ signedBy: PROFILE, env: { IMAGE_DIGEST: '' } });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /IMAGE_DIGEST is not set/);
    const tag = verify({ signedBy: PROFILE, env: { IMAGE_DIGEST: '1.4.0-0a1b2c3' } });
    assert.equal(tag.status, 1);
    assert.match(tag.stderr, /IMAGE_DIGEST="1\.4\.0-0a1b2c3" is not an image digest/);
    assert.equal(tag.calls, '');
  });

  test('a profile that is not a signing profile ARN fails', () => {
    const run = verify({ signedBy: PROFILE, env: { SIGNING_PROFILE_ARN: '*' } });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /is not an AWS Signer signing profile ARN/);
  });
});
