# syntax=docker/dockerfile:1
# Stowage server image. See docs/DEPLOYMENT.md.
#   docker build -t stowage .
#   docker run -d -p 8080:8080 -v stowage-data:/data stowage
# Administration: docker exec -i CONTAINER node dist/src/main/cli.js user add alice --admin --password-stdin
#                 docker exec CONTAINER node dist/src/main/cli.js invite create
# `docker exec` gives the admin commands the image's environment (STOWAGE_DATA_DIR=/data): they
# work on the server's instance. Settings may also come from a file, read by the server and the
# admin commands alike: -v ./stowage.env:/etc/stowage/stowage.env:ro (README, "Configuration file").

# --- build: compile TypeScript and the web UI, then keep only the runtime dependencies -------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native module: built at install when no prebuilt binary matches.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web UI (Svelte, built by Vite into dist/web; its server renderer carries what it needs).
COPY web ./web
RUN npm run build && npm prune --omit=dev

# --- runtime --------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
# Optional media programs: ffmpeg/ffprobe (video thumbnails, durations), pdftoppm (PDF thumbnails).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg poppler-utils \
    && rm -rf /var/lib/apt/lists/*
# MALLOC_*: glibc keeps less memory after a load; NODE_OPTIONS: a 4 MiB young generation instead of
# 16 MiB, ~20 MiB less RSS per process (docs/DEPLOYMENT.md, memory).
# The image listens on every interface: accounts by invite only (README, "Running a public instance");
# anonymous uploads, quotas and inactivity expiry keep the code's defaults.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    NODE_OPTIONS=--max-semi-space-size=4 \
    STOWAGE_HOST=0.0.0.0 \
    STOWAGE_PORT=8080 \
    STOWAGE_DATA_DIR=/data \
    STOWAGE_REGISTRATION=invite
WORKDIR /app
# package.json is read at run time (the version in the OpenAPI document).
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir (SQLite database, blobs) belongs to the image's unprivileged "node" user (uid 1000).
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.STOWAGE_PORT || 8080) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main/cli.js", "serve"]
