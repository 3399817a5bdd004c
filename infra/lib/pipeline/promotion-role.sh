#!/usr/bin/env bash
# Sourced by the LoadTest and Resilience actions: assumes the environment's promotion-check role
# (service/promotion-checks.ts) from PROMOTION_ROLE_ARN, and exports its credentials for the AWS CLI that follows.
# Sourced, it returns 1 on a failure: CodeBuild reads only the status of the `source` command itself.
: "${PROMOTION_ROLE_ARN:?PROMOTION_ROLE_ARN is not set: the deploy action exports it from the service stack}"
credentials=$(aws sts assume-role --role-arn "$PROMOTION_ROLE_ARN" --role-session-name promotion-checks \
  --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text) || return 1
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<<"$credentials"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
# The load test's token, when the action names it: read as the role, the one principal allowed to.
if [ -n "${LOAD_TEST_TOKEN_ARN:-}" ]; then
  # In the secret's own region (us-east-1, with the edge's web ACL), the fourth field of its ARN.
  LOAD_TEST_TOKEN=$(aws secretsmanager get-secret-value --secret-id "$LOAD_TEST_TOKEN_ARN" \
    --region "$(cut -d: -f4 <<<"$LOAD_TEST_TOKEN_ARN")" --query SecretString --output text) || return 1
  export LOAD_TEST_TOKEN
fi
