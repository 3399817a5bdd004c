#!/usr/bin/env bash
# Runs before each environment's `cdk deploy`: stops the deploy when a deployed resource no longer matches the
# template CloudFormation last deployed (someone changed it by hand). Deploying over drift either undoes that
# change without a word or fails halfway on it; a person decides which it should be.
# What ECS itself changes at every canary deployment is let through (drift-report.ts): the production listener
# rule's forward weights, and the two target groups swapping roles. The service sets no DesiredCount, which
# autoscaling owns, so it cannot drift.
#
# Usage: drift-check.sh <stack> [<stack> ...] -- [cdk arguments ...]
# Each <stack> is a stack name or a pattern as `cdk deploy` takes it (<prefix>-Staging-*).
# `cdk drift` uses the credentials it is given and assumes no bootstrap role itself, so it runs as the bootstrap
# lookup role (read-only, no kms:Decrypt), through a profile of its own: DRIFT_ROLE_ARN names that role.
# Needs on PATH: npx (the repository's pinned CDK CLI), node and aws.
set -euo pipefail

usage='usage: drift-check.sh <stack> [<stack> ...] -- [cdk arguments ...]'
patterns=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  patterns+=("$1")
  shift
done
if [ ${#patterns[@]} -eq 0 ] || [ $# -eq 0 ]; then
  echo "$usage" >&2
  exit 2
fi
shift
: "${DRIFT_ROLE_ARN:?DRIFT_ROLE_ARN is not set: the deploy project passes the ARN of the bootstrap lookup role}"
here=$(dirname "${BASH_SOURCE[0]}")

config=$(mktemp)
log=$(mktemp)
trap 'rm -f "$config" "$log"' EXIT
# CodeBuild hands its role's credentials to the container the way ECS does, hence EcsContainer.
printf '[profile drift-check]\nrole_arn = %s\ncredential_source = EcsContainer\n' "$DRIFT_ROLE_ARN" >"$config"
# A unit outside the pipeline's region: its stacks are read there (the lookup role's own region).
if [ -n "${DRIFT_REGION:-}" ]; then printf 'region = %s\n' "$DRIFT_REGION" >>"$config"; fi

fail() {
  echo "DRIFT CHECK FAILED for ${patterns[*]}: $*" >&2
  exit 1
}

# The status of every stack in the region that a name or pattern selects. CloudFormation detects drift only on a
# stack that has deployed resources (CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, and the IMPORT_
# equivalents); `cdk drift` on any other fails, which stopped every run after a failed first create.
if ! stacks=$(AWS_CONFIG_FILE=$config aws cloudformation describe-stacks --profile drift-check \
  --query 'Stacks[].[StackName,StackStatus]' --output text); then
  fail "could not list the stacks (see above). Nothing was deployed."
fi
check=()
while read -r name status; do
  [ -n "$name" ] || continue
  selected=false
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose, as cdk matches it
    if [[ $name == $pattern ]]; then selected=true; fi
  done
  $selected || continue
  case $status in
  CREATE_COMPLETE | UPDATE_COMPLETE | UPDATE_ROLLBACK_COMPLETE | IMPORT_COMPLETE | IMPORT_ROLLBACK_COMPLETE)
    check+=("$name")
    ;;
  # A failed first create: nothing is deployed, and `cdk deploy` deletes the stack and creates it again.
  ROLLBACK_COMPLETE | ROLLBACK_FAILED)
    echo "$name: $status, a failed first create; cdk deploy deletes it and creates it again, nothing to drift"
    ;;
  # A change set was created and never executed: the stack has no resources yet.
  REVIEW_IN_PROGRESS)
    echo "$name: $status, created by a change set never executed; no resources, nothing to drift"
    ;;
  *_IN_PROGRESS)
    fail "$name is $status: another operation is under way. Retry the stage once it has ended. Nothing was deployed."
    ;;
  *)
    fail "$name is $status, which neither drift detection nor cdk deploy can work from: see docs/first-deploy.md" \
      "for the recovery. Nothing was deployed."
    ;;
  esac
done <<<"$stacks"

if [ ${#check[@]} -eq 0 ]; then
  echo "${patterns[*]}: not deployed yet, so nothing can have drifted"
  exit 0
fi

if AWS_CONFIG_FILE=$config npx cdk drift "${check[@]}" "$@" --profile drift-check --no-color --fail >"$log" 2>&1; then
  cat "$log"
  echo "no drift in ${check[*]}"
  exit 0
fi
cat "$log"
if node "$here/drift-report.ts" "$log"; then
  echo "drift in ${check[*]} is only what ECS changes at a deployment: deploying"
  exit 0
fi
fail "a deployed resource differs from its template, or drift could not be checked (see above). Undo the manual" \
  "change, or deploy the merged fix by hand with cdk deploy: drift detection compares with the last deployed" \
  "template, so merging alone cannot clear it. Nothing was deployed."
