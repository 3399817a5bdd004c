#!/usr/bin/env bash
# The pipeline's Build stage (CodeBuild, privileged): builds the image from the
# repository's Dockerfile and pushes it to ECR under two tags:
#   <version>-<sha7>  what Deploy-Staging and Deploy-Production roll out, unique per commit;
#   <version>         the release tag, package.json's semver.
# The repository's tags are immutable, so <version> is written once, by the first
# commit that carries that version (the release-please merge), and a rerun of the
# same commit reuses the image it pushed before instead of failing.
# Writes image.json and sbom.cdx.json (the Build stage's output artifact): the image's record and the
# CycloneDX SBOM of the whole image (npm production dependencies, Debian packages, the Node.js binary), which the
# Dockerfile's runtime stage writes into /app (tools/image-sbom.ts).
#
# Needs: REPOSITORY_URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>), COMMIT_ID (the full SHA),
# and on PATH: node, docker, aws.
set -euo pipefail

: "${REPOSITORY_URI:?REPOSITORY_URI is not set}"
: "${COMMIT_ID:?COMMIT_ID is not set}"
if [[ ! "$COMMIT_ID" =~ ^[0-9a-f]{7,40}$ ]]; then
  echo "COMMIT_ID=\"$COMMIT_ID\" is not a git commit SHA" >&2
  exit 1
fi

version=$(node -p "require('./package.json').version")
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "package.json version \"$version\" is not semver" >&2
  exit 1
fi
image_tag="$version-${COMMIT_ID:0:7}"
registry="${REPOSITORY_URI%%/*}"
repository_name="${REPOSITORY_URI#*/}"

# Prints the digest a tag names, or "None" when the tag does not exist.
image_field() {
  aws ecr batch-get-image --repository-name "$repository_name" --image-ids "imageTag=$1" \
    --query "images[0].$2" --output text
}

aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"

digest=$(image_field "$image_tag" imageId.imageDigest)
if [ "$digest" = None ]; then
  docker build --pull \
    --label "org.opencontainers.image.revision=$COMMIT_ID" \
    --label "org.opencontainers.image.version=$version" \
    --tag "$REPOSITORY_URI:$image_tag" .
  docker push "$REPOSITORY_URI:$image_tag"
  digest=$(image_field "$image_tag" imageId.imageDigest)
else
  echo "$REPOSITORY_URI:$image_tag exists ($digest): this commit was built before, reusing it"
fi

# ECR retags by manifest, so <version> names exactly the bytes <version>-<sha7> names.
version_digest=$(image_field "$version" imageId.imageDigest)
if [ "$version_digest" = None ]; then
  aws ecr put-image --repository-name "$repository_name" --image-tag "$version" \
    --image-manifest "$(image_field "$image_tag" imageManifest)" \
    --image-manifest-media-type "$(image_field "$image_tag" imageManifestMediaType)" >/dev/null
  echo "tagged $REPOSITORY_URI:$version"
else
  echo "$REPOSITORY_URI:$version exists ($version_digest): not moved; bump the version to release"
fi

# The SBOM of exactly this image (pulled first if an earlier run built it); no shell in the image is needed.
container=$(docker create "$REPOSITORY_URI:$image_tag")
docker cp "$container:/app/sbom.cdx.json" sbom.cdx.json
docker rm "$container" >/dev/null

IMAGE_TAG="$image_tag" VERSION="$version" IMAGE_DIGEST="$digest" node -e '
  const { IMAGE_TAG, VERSION, IMAGE_DIGEST, REPOSITORY_URI, COMMIT_ID } = process.env;
  const image = { repositoryUri: REPOSITORY_URI, imageTag: IMAGE_TAG, versionTag: VERSION, imageDigest: IMAGE_DIGEST, commit: COMMIT_ID };
  require("node:fs").writeFileSync("image.json", JSON.stringify(image, null, 2) + "\n");
'
echo "built $REPOSITORY_URI:$image_tag@$digest"
