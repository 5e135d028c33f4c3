import { randomBytes } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import type { ApiKeys } from './api-keys';
import { NoModelError, UnknownVersionError } from './model-holder';
import { StoreUnavailableError } from './models-listing';
import { RequestError, registerRoutes, type ServiceContext } from './routes';

export interface ServerOptions {
  /** Largest accepted request body in bytes; larger gets 413. */
  bodyLimit: number;
  log: FastifyBaseLogger;
  /** When given (and not empty), every route but the open ones needs `Authorization: Bearer <key>`. */
  apiKeys?: ApiKeys;
  /** /metrics needs a key too (else it is open, like the probes). */
  metricsAuth?: boolean;
  /** PEM certificate and key: HTTPS instead of HTTP. */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

/** Routes answered without a key: the probes (and /metrics unless metricsAuth). */
const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

/** The fastify app: body parsers, request ids, one log line and metrics per request, errors as JSON. */
export function buildServer(ctx: ServiceContext, options: ServerOptions): FastifyInstance {
  // Unique across the processes sharing a port and across restarts: the prediction log keys rows by it.
  const instance = randomBytes(3).toString('hex');
  let nextId = 0;
  const app = Fastify({
    ...(options.tls ? { https: options.tls } : {}),
    loggerInstance: options.log,
    // One line per request is written in onResponse below, with the route's outcome.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => `r${instance}-${(++nextId).toString(36)}`,
  });
  // Bodies arrive as text: the row reader handles JSON (array, {"inputs"}, Mage body) and CSV alike.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'text/csv', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  const keys = options.apiKeys && options.apiKeys.size > 0 ? options.apiKeys : undefined;
  if (keys) {
    app.addHook('onRequest', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route !== undefined && (OPEN_ROUTES.has(route) || (route === '/metrics' && !options.metricsAuth)))
        return;
      if (keys.accepts(request.headers.authorization)) return;
      ctx.metrics.validationFailures.inc({ reason: 'auth' });
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="prediction service"')
        .send({ error: 'missing or wrong API key: send "Authorization: Bearer <key>" (SERVE_API_KEYS)' });
    });
  }

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // The labelled children of the request metrics, looked up once per route, method and status: the
  // per-request cost is then one map lookup instead of hashing the labels twice.
  const children = new Map<string, { count: () => void; observe: (seconds: number) => void }>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${route} ${request.method} ${reply.statusCode}`;
    let child = children.get(key);
    if (!child) {
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      const counter = ctx.metrics.requests.labels(labels);
      const histogram = ctx.metrics.latency.labels(labels);
      child = { count: () => counter.inc(), observe: (seconds) => histogram.observe(seconds) };
      children.set(key, child);
    }
    child.count();
    child.observe(reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Number(reply.elapsedTime.toFixed(3)),
      },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RequestError) {
      return reply.code(error.statusCode).send({ error: error.message, ...error.details });
    }
    if (error instanceof NoModelError || error instanceof StoreUnavailableError)
      return reply.code(503).send({ error: error.message });
    if (error instanceof UnknownVersionError) return reply.code(404).send({ error: error.message });
    if (error.statusCode === 413) {
      ctx.metrics.validationFailures.inc({ reason: 'body' });
      return reply.code(413).send({
        error: `request body larger than the limit of ${options.bodyLimit} bytes (SERVE_BODY_LIMIT)`,
      });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      ctx.metrics.validationFailures.inc({ reason: 'body' });
      return reply.code(error.statusCode).send({ error: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the service log for the request id' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url}` });
  });

  registerRoutes(app, ctx);
  return app;
}
