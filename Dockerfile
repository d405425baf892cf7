# syntax=docker/dockerfile:1
# One image, two entry points: `hybridgate operator` (the Kubernetes operator) and `hybridgate start`
# (a control plane or data plane node). Build: `make image`.

# --- build: compile TypeScript with the dev dependencies ---
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci, or the locked versions through npm install where a mirror left the lock without other
# platforms' optional packages (see the Makefile's deps target).
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# --- deps: production dependencies only (native lmdb prebuilds for glibc) ---
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN (npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-audit --no-fund --no-save) \
    && npm cache clean --force

# --- run: distroless Node.js, no shell, non-root numeric user ---
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS run
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="hybridgate" \
      org.opencontainers.image.description="Hybrid-mode API gateway (control plane, data plane) and its Kubernetes operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
# The root filesystem can be read-only: the runtime writes only under its prefix, a mounted volume.
ENV HYBRIDGATE_PREFIX=/var/run/hybridgate \
    NODE_ENV=production
USER 65532:65532
EXPOSE 8000 8443 8001 8005 8006 8100
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/hybridgate.js"]
CMD ["start"]
