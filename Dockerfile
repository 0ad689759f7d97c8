# syntax=docker/dockerfile:1
# One Dockerfile for every pixmill service; the build argument SERVICE picks which one:
#   docker build --build-arg SERVICE=gateway -t pixmill/gateway .     (and ingest, resize, analyze, notifier)
# The build stage installs the whole workspace from the lockfile (its postinstall generates the Prisma client),
# bundles the service into one CommonJS file (infra/build/bundle.mjs -> services/<service>/dist/main.js), then
# `pnpm deploy` copies the one service (src/ and dist/, its package.json "files") and only its production dependencies
# (workspace packages included, as TypeScript source) into /out. The runtime stage is that folder on a slim glibc Node
# image, running dist/main.js with plain node as the unprivileged `node` user. The bundle leaves native addons (sharp,
# bcrypt) to node_modules; sharp's prebuilt libvips comes from npm (@img/sharp-libvips-linux-*), so no system libvips
# is needed.
# packages/deploy-checks runs these same build steps outside Docker in CI (no Docker engine there).

ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG PNPM_VERSION=12.21.0
# corepack cannot verify pnpm's signatures everywhere we build, so pnpm comes from npm, pinned.
RUN npm install -g pnpm@${PNPM_VERSION}
WORKDIR /src
# The lockfile alone first: this layer (every package in the store) is rebuilt only when dependencies change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --store-dir /pnpm/store
COPY . .
RUN pnpm install --frozen-lockfile --offline --store-dir /pnpm/store
ARG SERVICE
RUN test -f "services/${SERVICE}/src/main.ts" || { echo "build with --build-arg SERVICE=gateway|ingest|resize|analyze|notifier"; exit 1; }
# Plain node on one bundle needs less memory than tsx's loader on the TypeScript source (see infra/build/bundle.mjs).
RUN node infra/build/bundle.mjs "${SERVICE}"
# --ignore-scripts: the Prisma client generated above is copied along; generating it again in /out would need the
# workspace's tsconfig.base.json.
RUN pnpm deploy --filter "@pixmill/${SERVICE}" --prod --offline --ignore-scripts --store-dir /pnpm/store /out

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="pixmill-${SERVICE}" \
      org.opencontainers.image.licenses="Apache-2.0"
# MALLOC_ARENA_MAX=2 cuts sharp's peak memory by a third or more at the same speed (measured, see TOOLCHAIN notes).
# HOST: pixmill listens on loopback unless told otherwise; in a container that would be unreachable.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    DATA_DIR=/data \
    HOST=0.0.0.0
WORKDIR /app
# Owned by root and read-only to the service; DATA_DIR is the only place it writes (tsx, which only the migration
# command uses, also caches in /tmp).
COPY --from=build /out ./
RUN mkdir -p /data && chown node:node /data
USER node
# 8080: the gateway's PORT. 9090: HEALTH_PORT of the workers (/livez, /readyz, /metrics).
EXPOSE 8080 9090
# The migration Job and the compose `migrate` service run, in the gateway image, the TypeScript source through tsx
# (a short-lived job, and it reads the SQL files next to its source):
#   node --import tsx node_modules/@pixmill/db/src/migrate.cli.ts
CMD ["node", "dist/main.js"]
