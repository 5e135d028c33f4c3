/**
 * The HTTP routes. Every route that takes rows (`/predict`, the Mage-compatible `/api/runs`, and any later
 * one such as `/explain`) goes through `rowsRequest`: rows from the body, the model from the query, every
 * row validated against that model's pipeline. A new row route is one more `app.post` below.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { z } from 'zod';
import { ExplanationUnsupportedError } from '../engines/engine';
import { toRowExplanations } from '../engines/explain';
import { assertIntervalLevel, predictionIntervals, roundInterval } from '../evaluation/prediction-interval';
import type { TrafficRow } from '../contracts/domain';
import { CHAMPION_ALIAS } from '../registry/champion';
import type { ModelRegistry } from '../registry/model-registry';
import { BodyError, rowsFromBody } from './body-rows';
import type { LoadedModel } from './loaded-model';
import type { ServiceMetrics } from './metrics';
import { ModelHolder, UnknownVersionError } from './model-holder';
import type { ModelsListing } from './models-listing';
import type { PredictionLog } from './prediction-log';
import { validateRequestRows, type RowFlag, type RowProblem, type ValidatedRows } from './request-validation';

export interface ServiceContext {
  holder: ModelHolder;
  registry: ModelRegistry;
  metrics: ServiceMetrics;
  /** The text `GET /metrics` answers with, when not this process's registry (several processes' aggregate). */
  metricsText?: () => Promise<string>;
  models: ModelsListing;
  /** Most rows one /explain may ask for; 413 beyond. */
  explainMaxRows: number;
  predictionLog?: PredictionLog;
}

/** A request the service refuses with a 4xx answer and a JSON body. */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What a row route has to work with once the request is accepted. */
export interface RowsRequest {
  model: LoadedModel;
  rows: TrafficRow[];
  flags: RowFlag[];
}

const explainTop = z.coerce.number().int().min(1).max(100);

const modelQuery = z.object({
  version: z
    .string()
    .regex(/^\d+$/, 'must be a version number')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= 1, 'must be a version number from 1 to 2^53 - 1')
    .optional(),
  alias: z.string().min(1).optional(),
});

/** Rows validated in slices of this many, the event loop free between two. */
const VALIDATION_SLICE_ROWS = 1000;

/**
 * Rows from the body (parsed already, or text: JSON or CSV), the model asked for, every row validated.
 * `maxRows`: more rows than this are refused with 413 before any is validated.
 */
export async function rowsRequest(
  ctx: ServiceContext,
  request: FastifyRequest,
  objects?: unknown[],
  maxRows?: { limit: number; setting: string },
): Promise<RowsRequest> {
  const model = await modelFor(ctx, request.query);
  let input: unknown[];
  try {
    input = objects ?? (await rowsFromBody(request.body, request.headers['content-type']));
  } catch (err) {
    if (err instanceof BodyError) throw new RequestError(400, err.message);
    throw err;
  }
  if (maxRows && input.length > maxRows.limit) {
    ctx.metrics.validationFailures.inc({ reason: 'rows' });
    throw new RequestError(
      413,
      `${input.length} rows is more than this route takes at once: at most ${maxRows.limit} (${maxRows.setting})`,
    );
  }
  const { rows, problems, flags } = await validateInSlices(input, model);
  if (problems.length > 0) {
    for (const p of problems) ctx.metrics.validationFailures.inc({ reason: p.reason });
    throw new RequestError(400, describeProblems(problems), { problems });
  }
  for (const f of flags) ctx.metrics.flags.inc({ reason: f.reason });
  return { model, rows, flags };
}

async function validateInSlices(input: unknown[], model: LoadedModel): Promise<ValidatedRows> {
  if (input.length <= VALIDATION_SLICE_ROWS) return validateRequestRows(input, model.pipeline);
  const all: ValidatedRows = { rows: [], problems: [], flags: [] };
  for (let from = 0; from < input.length; from += VALIDATION_SLICE_ROWS) {
    if (from > 0) await yieldToEventLoop();
    const part = validateRequestRows(input.slice(from, from + VALIDATION_SLICE_ROWS), model.pipeline);
    for (const p of part.problems) all.problems.push({ ...p, row: p.row + from });
    for (const f of part.flags) all.flags.push({ ...f, row: f.row + from });
    if (all.problems.length === 0) for (const r of part.rows) all.rows.push(r);
  }
  if (all.problems.length > 0) all.rows = [];
  return all;
}

function describeProblems(problems: RowProblem[]): string {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : '';
  return `invalid rows: row ${first.row}, field ${first.field}: expected ${first.expected}, got ${JSON.stringify(first.got) ?? String(first.got)}${more}`;
}

async function modelFor(ctx: ServiceContext, query: unknown): Promise<LoadedModel> {
  const parsed = modelQuery.safeParse(query ?? {});
  if (!parsed.success) {
    throw new RequestError(
      400,
      `invalid query: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const { version, alias } = parsed.data;
  if (version !== undefined && alias !== undefined)
    throw new RequestError(400, 'give ?version or ?alias, not both');
  if (version !== undefined) return ctx.holder.version(version);
  if (alias === undefined || alias === CHAMPION_ALIAS) return ctx.holder.championOrThrow();
  const state = await ctx.registry.getAlias(ctx.holder.modelName, alias).catch((err: Error) => {
    throw new RequestError(400, err.message);
  });
  if (!state) throw new UnknownVersionError(`model "${ctx.holder.modelName}" has no alias "${alias}"`);
  return ctx.holder.version(state.version);
}

/** Scores accepted rows: never negative, rounded to 0.01 as the batch path rounds; logged for monitoring. */
async function predict(ctx: ServiceContext, request: FastifyRequest, accepted: RowsRequest) {
  const { model, rows, flags } = accepted;
  const level = intervalLevelOf(request.query);
  if (level !== undefined && !model.intervals) {
    throw new RequestError(
      422,
      `${model.modelName} v${model.version} has no prediction-interval calibration (registered before intervals existed)`,
    );
  }
  const raw = await model.score(rows);
  const predictions = new Array<number>(raw.length);
  for (let i = 0; i < raw.length; i++) predictions[i] = raw[i] > 0 ? Math.round(raw[i] * 100) / 100 : 0;
  ctx.metrics.rowsPredicted.inc({ version: model.version }, rows.length);
  ctx.predictionLog?.append(
    { model: model.modelName, version: model.version, requestId: request.id, at: new Date().toISOString() },
    rows,
    predictions,
  );
  return {
    model: model.modelName,
    version: model.version,
    predictions,
    ...(level !== undefined && model.intervals
      ? {
          intervalLevel: level,
          intervals: predictionIntervals(model.intervals, rows, raw, level).map(roundInterval),
        }
      : {}),
    ...(flags.length > 0 ? { warnings: flags.map(({ reason: _r, ...f }) => f) } : {}),
  };
}

/** `?interval=0.9`: the level of the central prediction intervals to return beside the predictions. */
function intervalLevelOf(query: unknown): number | undefined {
  const value = (query as { interval?: unknown } | undefined)?.interval;
  if (value === undefined) return undefined;
  const level = Number(value);
  try {
    assertIntervalLevel(level);
  } catch (err) {
    throw new RequestError(400, `invalid query: interval: ${(err as Error).message}`);
  }
  return level;
}

/** The seed's Mage REST call: `POST /api/runs` running block `inference` of pipeline `predict` on `variables.inputs`. */
const mageRunBody = z.object({
  run: z.object({
    pipeline_uuid: z.literal('predict', { message: 'only the "predict" pipeline is served here' }),
    block_uuid: z.literal('inference', { message: 'only the "inference" block is served here' }),
    variables: z.object({ inputs: z.array(z.unknown()).min(1, 'no input rows') }),
  }),
});

export function registerRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/predict', async (request) => predict(ctx, request, await rowsRequest(ctx, request)));

  app.post('/explain', async (request) => {
    const top = explainTop.safeParse((request.query as { top?: unknown } | undefined)?.top ?? '5');
    if (!top.success) throw new RequestError(400, 'invalid query: top must be a whole number from 1 to 100');
    const { model, rows } = await rowsRequest(ctx, request, undefined, {
      limit: ctx.explainMaxRows,
      setting: 'SERVE_EXPLAIN_MAX_ROWS',
    });
    let explanation;
    try {
      explanation = await model.explain(rows);
    } catch (err) {
      if (err instanceof ExplanationUnsupportedError) throw new RequestError(422, err.message);
      throw err;
    }
    return {
      model: model.modelName,
      version: model.version,
      explanations: toRowExplanations(explanation, top.data).map((e) => ({
        prediction: Math.max(0, Math.round(e.prediction * 100) / 100),
        bias: e.bias,
        contributions: e.contributions,
      })),
    };
  });

  app.post('/api/runs', async (request) => {
    let body: unknown;
    try {
      body = JSON.parse(String(request.body));
    } catch (err) {
      throw new RequestError(400, `invalid JSON (${(err as Error).message})`);
    }
    const parsed = mageRunBody.safeParse(body);
    if (!parsed.success) {
      throw new RequestError(
        400,
        `expected {"run": {"pipeline_uuid": "predict", "block_uuid": "inference", "variables": {"inputs": [rows]}}}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    }
    return predict(ctx, request, await rowsRequest(ctx, request, parsed.data.run.variables.inputs));
  });

  app.get('/models', async () => {
    const { champion, versions, readAt } = await ctx.models.get();
    return {
      model: ctx.holder.modelName,
      serving: ctx.holder.champion?.version ?? null,
      champion,
      versions,
      readAt,
    };
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const champion = ctx.holder.champion;
    if (!champion) {
      const why = ctx.holder.unavailable;
      return reply.code(503).send({
        ready: false,
        error: why ?? `no champion of model "${ctx.holder.modelName}" loaded yet`,
      });
    }
    return { ready: true, model: champion.modelName, version: champion.version };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await (ctx.metricsText?.() ?? ctx.metrics.registry.metrics()).catch(
      (err: unknown) => err as Error,
    );
    if (text instanceof Error) return reply.code(503).send({ error: text.message });
    reply.header('content-type', ctx.metrics.registry.contentType);
    return text;
  });
}
