# The post-sync hook image: the hook bundled into one JavaScript file, on a distroless Node.js 20 base, non-root.
#   docker build -t <registry>/kvmigrate-hook:<version> .    then set `hook.image` in migrations.yaml
# The release workflow (.github/workflows/release.yml) builds it for amd64 and arm64 as ghcr.io/<owner>/kvmigrate-hook.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No scripts: `prepare` would build the whole package before its sources are here; only the hook is needed.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY lib ./lib
COPY imports ./imports
COPY scripts ./scripts
RUN npm run build:hook

FROM gcr.io/distroless/nodejs20-debian12:nonroot
COPY --from=build /src/build/kvmigrate-hook.mjs /app/kvmigrate-hook.mjs
# Numeric, so the Job's runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/kvmigrate-hook.mjs"]
