FROM node:20-bookworm-slim
# Native XGBoost for the fast engine (the wasm engine needs nothing).
RUN apt-get update && apt-get install -y --no-install-recommends libxgboost0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts
COPY test ./test
# bin/build.js stamps dist/, so `node bin/traffic-ml.js` in the image runs the build without a compiler.
RUN npm run build && npm prune --omit=dev
COPY data ./data
ENV NODE_ENV=production
