# Build stage: compiles src/ (no tests, no scripts) with the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
# bin/build.js stamps dist/, so `node bin/traffic-ml.js` in the runtime image runs the build without a compiler.
RUN npm run build

# Runtime stage: runtime dependencies only, run as the unprivileged `node` user of the base image.
FROM node:22-bookworm-slim
# Native XGBoost for the fast engine (the wasm engine needs nothing).
RUN apt-get update && apt-get install -y --no-install-recommends libxgboost0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY data ./data
# The default file artifact store (ARTIFACTS_URI=file://.artifacts) is the only place the app writes under /app.
RUN mkdir -p .artifacts && chown node:node .artifacts
USER node
