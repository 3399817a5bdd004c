#!/usr/bin/env bash
# Runs before each environment's `cdk deploy`: stops the deploy when a deployed resource no longer matches the
# template CloudFormation last deployed (someone changed it by hand). Deploying over drift either undoes that
# change without a word or fails halfway on it; a person decides which it should be.
#
# Usage: drift-check.sh <stack pattern> [cdk arguments ...]
# `cdk drift` uses the credentials it is given and assumes no bootstrap role itself, so it runs as the bootstrap
# lookup role (read-only, no kms:Decrypt), through a profile of its own: DRIFT_ROLE_ARN names that role.
# Needs on PATH: npx (the repository's pinned CDK CLI).
set -euo pipefail

stacks=${1:?usage: drift-check.sh <stack pattern> [cdk arguments ...]}
shift
: "${DRIFT_ROLE_ARN:?DRIFT_ROLE_ARN is not set: the deploy project passes the ARN of the bootstrap lookup role}"

config=$(mktemp)
log=$(mktemp)
trap 'rm -f "$config" "$log"' EXIT
# CodeBuild hands its role's credentials to the container the way ECS does, hence EcsContainer.
printf '[profile drift-check]\nrole_arn = %s\ncredential_source = EcsContainer\n' "$DRIFT_ROLE_ARN" >"$config"

if AWS_CONFIG_FILE=$config npx cdk drift "$stacks" "$@" --profile drift-check --fail >"$log" 2>&1; then
  cat "$log"
  echo "no drift in $stacks"
  exit 0
fi
cat "$log"
# The pipeline's first run creates the environments: there is nothing deployed to drift yet.
if grep -Eq 'Stack with id [^ ]+ does not exist' "$log"; then
  echo "$stacks: not deployed yet, so nothing can have drifted"
  exit 0
fi
echo "DRIFT CHECK FAILED for $stacks: a deployed resource differs from its template, or drift could not be" \
  "checked (see above). Undo the manual change, or bring it into infra/ and merge it, then retry this stage." \
  "Nothing was deployed." >&2
exit 1
