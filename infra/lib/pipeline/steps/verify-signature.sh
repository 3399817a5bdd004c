#!/usr/bin/env bash
# Before each deploy: the image digest the Build stage pushed must carry a Notation signature made by the pipeline's
# AWS Signer signing profile, which ECR's managed signing adds on push (infra/lib/registry/image-signing.ts). It
# fails closed: no digest, no notation or no AWS Signer plugin, no signature, or a signature by any other profile
# stops the deploy.
#
# Needs: REPOSITORY_URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>), IMAGE_DIGEST (sha256:<64 hex>),
# SIGNING_PROFILE_ARN (arn:aws:signer:<region>:<account>:/signing-profiles/<name>), and on PATH: aws, and notation
# with the AWS Signer plugin (AWS's installer sets up both, and the trust store of AWS Signer's root certificate).
set -euo pipefail

: "${REPOSITORY_URI:?REPOSITORY_URI is not set}"
: "${IMAGE_DIGEST:?IMAGE_DIGEST is not set: the action passes the digest from the Build stage}"
: "${SIGNING_PROFILE_ARN:?SIGNING_PROFILE_ARN is not set}"
if [[ ! "$IMAGE_DIGEST" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "IMAGE_DIGEST=\"$IMAGE_DIGEST\" is not an image digest" >&2
  exit 1
fi
if [[ ! "$SIGNING_PROFILE_ARN" =~ ^arn:aws[a-z-]*:signer:[a-z0-9-]+:[0-9]{12}:/signing-profiles/[A-Za-z0-9_]+$ ]]; then
  echo "SIGNING_PROFILE_ARN=\"$SIGNING_PROFILE_ARN\" is not an AWS Signer signing profile ARN" >&2
  exit 1
fi
if ! command -v notation >/dev/null; then
  echo "notation is not installed: the signature cannot be checked, so nothing is deployed" >&2
  exit 1
fi
if ! notation plugin ls | grep -q '^com\.amazonaws\.signer\.notation\.plugin\b'; then
  echo "the AWS Signer plugin for notation is not installed: the signature cannot be checked" >&2
  exit 1
fi

# Only this profile is trusted, for this repository only, at the strict level (integrity, authenticity, expiry and
# revocation, which the plugin asks AWS Signer about).
policy=$(mktemp)
trap 'rm -f "$policy"' EXIT
cat >"$policy" <<JSON
{
  "version": "1.0",
  "trustPolicies": [
    {
      "name": "pipeline-signing-profile",
      "registryScopes": ["$REPOSITORY_URI"],
      "signatureVerification": { "level": "strict" },
      "trustStores": ["signingAuthority:aws-signer-ts"],
      "trustedIdentities": ["$SIGNING_PROFILE_ARN"]
    }
  ]
}
JSON
notation policy import --force "$policy" >/dev/null

aws ecr get-login-password | notation login --username AWS --password-stdin "${REPOSITORY_URI%%/*}" >/dev/null
image="$REPOSITORY_URI@$IMAGE_DIGEST"
if ! notation verify "$image"; then
  echo "$image is not signed by $SIGNING_PROFILE_ARN: not deploying it" >&2
  exit 1
fi
echo "$image is signed by $SIGNING_PROFILE_ARN"
