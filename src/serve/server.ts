import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { NoModelError, UnknownVersionError } from './model-holder';
import { RequestError, registerRoutes, type ServiceContext } from './routes';

export interface ServerOptions {
  /** Largest accepted request body in bytes; larger gets 413. */
  bodyLimit: number;
  log: FastifyBaseLogger;
}

/** The fastify app: body parsers, request ids, one log line and metrics per request, errors as JSON. */
export function buildServer(ctx: ServiceContext, options: ServerOptions): FastifyInstance {
  let nextId = 0;
  const app = Fastify({
    loggerInstance: options.log,
    // One line per request is written in onResponse below, with the route's outcome.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => `r${(++nextId).toString(36)}`,
  });
  // Bodies arrive as text: the row reader handles JSON (array, {"inputs"}, Mage body) and CSV alike.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'text/csv', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { route, method: request.method, status: String(reply.statusCode) };
    ctx.metrics.requests.inc(labels);
    ctx.metrics.latency.observe(labels, reply.elapsedTime / 1000);
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
    if (error instanceof NoModelError) return reply.code(503).send({ error: error.message });
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
