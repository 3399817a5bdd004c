#!/usr/bin/env bash
# Runs before each environment's `cdk deploy`: stops the deploy when a deployed resource no longer matches the
# template CloudFormation last deployed (someone changed it by hand). Deploying over drift either undoes that
# change without a word or fails halfway on it; a person decides which it should be.
# One drift is by design and let through: ECS's canary deployments move the forward weights of the production
# listener rule (infra/lib/service/public-load-balancer.ts), so after any deployment that shifted traffic they
# differ from the template's 100/0. The service sets no DesiredCount, which autoscaling owns, so it cannot drift.
#
# Usage: drift-check.sh <stack pattern> [cdk arguments ...]
# `cdk drift` uses the credentials it is given and assumes no bootstrap role itself, so it runs as the bootstrap
# lookup role (read-only, no kms:Decrypt), through a profile of its own: DRIFT_ROLE_ARN names that role.
# Needs on PATH: npx (the repository's pinned CDK CLI) and node.
set -euo pipefail

stacks=${1:?usage: drift-check.sh <stack pattern> [cdk arguments ...]}
shift
: "${DRIFT_ROLE_ARN:?DRIFT_ROLE_ARN is not set: the deploy project passes the ARN of the bootstrap lookup role}"

config=$(mktemp)
log=$(mktemp)
trap 'rm -f "$config" "$log"' EXIT
# CodeBuild hands its role's credentials to the container the way ECS does, hence EcsContainer.
printf '[profile drift-check]\nrole_arn = %s\ncredential_source = EcsContainer\n' "$DRIFT_ROLE_ARN" >"$config"

if AWS_CONFIG_FILE=$config npx cdk drift "$stacks" "$@" --profile drift-check --no-color --fail >"$log" 2>&1; then
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

# `cdk drift` has no machine-readable output. Its report (toolkit-lib's DriftFormatter) has a line
# "[~] <type> <construct path> <logical id>" per modified resource ("[-] ..." per deleted one), each difference
# under it as " ├─ [~] <property path>" (or " └─"), and ends with "Number of resources with drift: <n>" once
# every stack was checked. The drift is let through only when that total is the number of resources read here
# and each of them is the production rule with nothing but forward weights changed: anything else stops.
if node - "$log" <<'JS'; then
const lines = require('node:fs').readFileSync(process.argv[2], 'utf8').split('\n');
const total = lines.map((line) => /Number of resources with drift: (\d+)/.exec(line)).find(Boolean)?.[1];
const drifted = [];
for (const line of lines) {
  if (/^\[[~-]\] \S+ /.test(line)) drifted.push({ line, changes: [] });
  else if (/^ [├└]─ /.test(line) && drifted.length > 0) drifted.at(-1).changes.push(line.slice(4));
}
const byEcs = ({ line, changes }) =>
  /^\[~\] AWS::ElasticLoadBalancingV2::ListenerRule LoadBalancer\/ProductionRule /.test(line) &&
  changes.length > 0 &&
  changes.every((change) => /^\[~\] \/Actions\/\d+\/ForwardConfig\/TargetGroups\/\d+\/Weight$/.test(change));
if (total === undefined || Number(total) !== drifted.length || lines.some((l) => l.includes('Failed to check drift'))) {
  process.exit(1);
}
for (const resource of drifted.filter(byEcs)) console.log(`ignored, ECS moves these weights: ${resource.line}`);
process.exit(drifted.every(byEcs) ? 0 : 1);
JS
  echo "drift in $stacks is only the traffic weights ECS sets: deploying"
  exit 0
fi
echo "DRIFT CHECK FAILED for $stacks: a deployed resource differs from its template, or drift could not be" \
  "checked (see above). Undo the manual change, or deploy the merged fix by hand with cdk deploy: drift" \
  "detection compares with the last deployed template, so merging alone cannot clear it. Nothing was deployed." >&2
exit 1
