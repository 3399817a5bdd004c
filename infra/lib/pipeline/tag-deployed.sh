#!/usr/bin/env bash
# After an environment's smoke test passed: adds the tag deployed-<environment>-<UTC timestamp> to the image it runs,
# so that the registry's lifecycle policy keeps it for a rollback (infra/lib/registry/image-lifecycle.ts).
#
# ECR retags by putting the existing manifest under a new tag, without pulling or pushing layers ("Retagging an image
# in Amazon ECR", https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-retag.html). Tag immutability only
# refuses a tag that already exists in the repository (ImageTagAlreadyExistsException, "Preventing image tags from
# being overwritten", https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html), so a new,
# timestamped tag on an existing digest is allowed in this IMMUTABLE repository.
#
# Needs: REPOSITORY_NAME, IMAGE_TAG (the tag the environment was deployed with), DEPLOY_ENVIRONMENT (e.g. staging),
# and aws on PATH.
set -euo pipefail

: "${REPOSITORY_NAME:?REPOSITORY_NAME is not set}"
: "${IMAGE_TAG:?IMAGE_TAG is not set: the action passes the tag from the Build stage}"
: "${DEPLOY_ENVIRONMENT:?DEPLOY_ENVIRONMENT is not set}"
if [[ ! "$DEPLOY_ENVIRONMENT" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "DEPLOY_ENVIRONMENT=\"$DEPLOY_ENVIRONMENT\" is not a lower-case environment name" >&2
  exit 1
fi

image_field() {
  aws ecr batch-get-image --repository-name "$REPOSITORY_NAME" --image-ids "imageTag=$IMAGE_TAG" \
    --query "images[0].$1" --output text
}

manifest=$(image_field imageManifest)
if [ "$manifest" = None ] || [ -z "$manifest" ]; then
  echo "$REPOSITORY_NAME:$IMAGE_TAG does not exist: nothing to tag" >&2
  exit 1
fi
tag="deployed-$DEPLOY_ENVIRONMENT-$(date -u +%Y%m%dT%H%M%SZ)"
aws ecr put-image --repository-name "$REPOSITORY_NAME" --image-tag "$tag" \
  --image-manifest "$manifest" --image-manifest-media-type "$(image_field imageManifestMediaType)" >/dev/null
echo "tagged $REPOSITORY_NAME:$IMAGE_TAG as $tag"
