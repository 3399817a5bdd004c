#!/usr/bin/env bash
# Runs before an environment's `cdk deploy`, after the drift check: stops the deploy when it would change the
# production listener rule. Any change to that rule writes the template's forward weights back, sending all
# traffic to the blue target group, which after an odd number of ECS deployments has no tasks (aws/aws-cdk#36649).
# No setting of the template changes the rule (a domain is an alias on the distribution), so such a commit needs
# rethinking, not a deploy (docs/deploy.md, "The listener rule's weights").
#
# Usage: rule-change-check.sh <service stack name> -- [cdk arguments ...]
# Compares the stack's deployed template (read as the bootstrap lookup role, DRIFT_ROLE_ARN) with the one
# `cdk synth` makes from this commit, as `cdk diff` would. Needs on PATH: npx, node and aws.
set -euo pipefail

usage='usage: rule-change-check.sh <service stack name> -- [cdk arguments ...]'
if [ $# -lt 2 ] || [ "$2" != -- ]; then
  echo "$usage" >&2
  exit 2
fi
stack=$1
shift 2
: "${DRIFT_ROLE_ARN:?DRIFT_ROLE_ARN is not set: the deploy project passes the ARN of the bootstrap lookup role}"
here=$(dirname "${BASH_SOURCE[0]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[profile rule-check]\nrole_arn = %s\ncredential_source = EcsContainer\n' "$DRIFT_ROLE_ARN" >"$work/config"
# A unit outside the pipeline's region: its stacks are read there (the lookup role's own region).
if [ -n "${DRIFT_REGION:-}" ]; then printf 'region = %s\n' "$DRIFT_REGION" >>"$work/config"; fi
cloudformation() { AWS_CONFIG_FILE=$work/config aws cloudformation "$@" --profile rule-check; }

if ! status=$(cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' \
  --output text 2>"$work/error"); then
  if grep -q 'does not exist' "$work/error"; then
    echo "$stack: not deployed yet, so no rule to change"
    exit 0
  fi
  cat "$work/error" >&2
  echo "RULE CHECK FAILED for $stack: could not read its status (see above). Nothing was deployed." >&2
  exit 1
fi
case $status in
# Nothing deployed: the rule is created, with the template's weights, which is right for a new service.
ROLLBACK_COMPLETE | ROLLBACK_FAILED | REVIEW_IN_PROGRESS)
  echo "$stack: $status, nothing deployed, so no rule to change"
  exit 0
  ;;
esac

cloudformation get-template --stack-name "$stack" --query TemplateBody --output json >"$work/deployed.json"
npx cdk synth "$stack" "$@" --quiet --output "$work/assembly" >/dev/null
if node "$here/rule-change.ts" "$work/deployed.json" "$work/assembly" "$stack"; then
  echo "$stack: the production listener rule is unchanged"
  exit 0
fi
echo "RULE CHECK FAILED for $stack: this deploy changes the production listener rule, and CloudFormation would" \
  "reset the weights ECS set, sending all traffic to the blue target group, which may have no tasks. Change the" \
  "commit so that the rule stays as it is (docs/deploy.md, The listener rule's weights). Nothing was deployed." >&2
exit 1
