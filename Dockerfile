# One base for every stage: the official Node.js image on Debian 13 (trixie), slim variant, pinned to the
# exact Node.js release that package.json's `node` devDependency runs in development and CI. It is pulled from
# ECR Public's copy of the Docker Official Images, which serves the same images without Docker Hub's
# anonymous pull limits, which CodeBuild would otherwise hit. The tag names a release, but a tag can be
# re-pushed (Debian security rebuilds re-push it), so the digest is pinned too: the tag is for people, the digest is
# what is pulled. `docker buildx imagetools inspect <image>` prints it (docs/container.md#the-base-image-pin says how
# to bump both). Where no registry answers, tools/base-image.ts builds a stand-in under the tag alone.
ARG NODE_IMAGE=public.ecr.aws/docker/library/node:24.21.0-trixie-slim@sha256:8ec5d7557396cfe32d21c3f9c13072355ceab22b584578ca4bb28af31120cffe
# The build stage's base: the same image, resolved for the machine that builds. Only the local stand-ins
# (tools/base-image.ts), one architecture each, set it apart when building for another architecture.
ARG BUILD_NODE_IMAGE=${NODE_IMAGE}

# Bundle the service (scripts/build.ts): one file per entry point in dist/, Swagger UI's browser files beside them,
# the route schemas compiled. On the build machine's own platform: the bundle is JavaScript, the same for every
# architecture, so building the arm64 image on x86_64 emulates none of npm ci and the bundling.
# --ignore-scripts: `prepare` would build before the sources are copied, and the `node` devDependency would download
# a second Node.js; the image's own Node.js 24 runs the build.
FROM --platform=$BUILDPLATFORM ${BUILD_NODE_IMAGE} AS build
WORKDIR /app
RUN chown node:node /app
USER node
COPY package.json package-lock.json ./
# Behind a TLS-inspecting proxy npm needs the proxy's CA. The build passes the host's CA bundle and an npmrc naming
# it (`cafile=/run/secrets/ca`) as build secrets: mounted for this step only, never stored in a layer. Without them
# (no proxy, as on GitHub Actions and CodeBuild) the mounts are empty and npm uses its own CAs.
RUN --mount=type=secret,id=npmrc,uid=1000 --mount=type=secret,id=ca,uid=1000 \
  NPM_CONFIG_USERCONFIG=/run/secrets/npmrc npm ci --ignore-scripts --no-audit --no-fund
# The software bill of materials of what the bundle holds: the production dependencies, as installed. The runtime
# stage adds itself to it (tools/image-sbom.ts).
RUN npm sbom --omit=dev --sbom-format cyclonedx > sbom.npm.cdx.json
COPY scripts/build.ts scripts/warm-compile-cache.ts ./scripts/
COPY tools/root.ts tools/server-process.ts tools/image-sbom.ts ./tools/
COPY src ./src
RUN npm run build

# Warm V8's compile cache: run the bundle once, so that start-up skips compiling it. On the image's platform, under
# emulation if it is another than the build machine's: V8 rejects a cache that another architecture wrote. As the
# runtime user: Node.js keys the cache by user id. `--platform=$TARGETPLATFORM` is the default, written out because
# podman 4 otherwise carries the build stage's platform over to the stages after it.
FROM --platform=$TARGETPLATFORM ${NODE_IMAGE} AS warm
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build /app/scripts/warm-compile-cache.ts ./scripts/
COPY --from=build /app/tools/root.ts /app/tools/server-process.ts ./tools/
COPY --from=build /app/src/identity.ts ./src/
USER node
RUN node scripts/warm-compile-cache.ts

FROM --platform=$TARGETPLATFORM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# The cache the build warmed: start-up skips compiling the bundle. Portable, because it is keyed by paths relative
# to its folder. Read-only at run time; a miss (another Node.js build) only costs the compile it would have saved.
ENV NODE_COMPILE_CACHE=/app/dist/compile-cache
ENV NODE_COMPILE_CACHE_PORTABLE=1
WORKDIR /app
# npm and corepack are not needed to run the service; removing them drops their bundled dependencies
# from what ECR's scan on push reports.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
  /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
# The bundle holds every production dependency, so there is no node_modules and no install in this stage. Owned by
# root and read-only to the service user: the process cannot rewrite its own code.
COPY --from=warm /app/dist ./dist
# The SBOM of the whole image: the npm dependencies, plus this stage's Debian packages (dpkg's status) and its Node.js
# binary, with its sha256, read here, by that Node.js. The build stage is mounted for this step only: the script and
# npm's SBOM leave no layer behind.
RUN --mount=type=bind,from=build,source=/app,target=/build \
  node /build/tools/image-sbom.ts --npm /build/sbom.npm.cdx.json > sbom.cdx.json
# dist/server.js reads ../package.json for the version it reports.
COPY package.json ./
# The `node` user (uid 1000) ships with the base image; the ECS task definition runs as the same user.
USER node
EXPOSE 8080
# No docker-entrypoint.sh wrapper, and an exec-form CMD: the process is node itself, so SIGTERM reaches it and it
# drains within SHUTDOWN_TIMEOUT_MS. ECS's initProcessEnabled supplies the init that reaps and forwards signals.
# The task definition, not a HEALTHCHECK here (ECS ignores it), runs dist/healthcheck.js.
# --no-concurrent-recompilation: V8 optimises hot functions on this thread, not on a background one whose compiler
# memory added 10-15 MB at the peak. Under load that held peak RSS at about 95 MB instead of 103-124 MB, with the
# same throughput (docs/performance.md has the measurements and the settings tried that did not hold).
ENTRYPOINT []
CMD ["node", "--no-concurrent-recompilation", "dist/server.js"]
