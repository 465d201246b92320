# The post-sync hook image: the hook bundled into one JavaScript file, on a distroless Node.js 20 base, non-root.
#   docker build -t <registry>/kvmigrate-hook:0.1.0 .    then set `hook.image` in migrations.yaml
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY lib ./lib
COPY imports ./imports
COPY scripts ./scripts
RUN npm run build:hook

FROM gcr.io/distroless/nodejs20-debian12:nonroot
COPY --from=build /src/build/kvmigrate-hook.mjs /app/kvmigrate-hook.mjs
# Numeric, so the Job's runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/kvmigrate-hook.mjs"]
