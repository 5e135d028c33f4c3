/**
 * The HTTP routes. Every route that takes rows (`/predict`, the Mage-compatible `/api/runs`, and any later
 * one such as `/explain`) goes through `rowsRequest`: rows from the body, the model from the query, every
 * row validated against that model's pipeline. A new row route is one more `app.post` below.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readPredictionRows } from '../cli/prediction-input';
import { ExplanationUnsupportedError } from '../ml/engines/engine';
import { toRowExplanations } from '../ml/explain';
import { assertIntervalLevel, predictionIntervals, roundInterval } from '../ml/prediction-interval';
import type { TrafficRow } from '../ml/types';
import { CHAMPION_ALIAS } from '../registry/champion';
import type { ModelRegistry } from '../registry/model-registry';
import type { LoadedModel } from './loaded-model';
import type { ServiceMetrics } from './metrics';
import { ModelHolder, UnknownVersionError } from './model-holder';
import type { PredictionLog } from './prediction-log';
import { validateRequestRows, type RowFlag, type RowProblem } from './request-validation';

export interface ServiceContext {
  holder: ModelHolder;
  registry: ModelRegistry;
  metrics: ServiceMetrics;
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
  version: z.string().regex(/^\d+$/, 'must be a version number').transform(Number).optional(),
  alias: z.string().min(1).optional(),
});

/** Rows from the body (parsed already, or text: JSON or CSV), the model asked for, every row validated. */
export async function rowsRequest(
  ctx: ServiceContext,
  request: FastifyRequest,
  objects?: unknown[],
): Promise<RowsRequest> {
  const model = await modelFor(ctx, request.query);
  const input = objects ?? rowsFromBody(request.body);
  const { rows, problems, flags } = validateRequestRows(input, model.pipeline);
  if (problems.length > 0) {
    for (const p of problems) ctx.metrics.validationFailures.inc({ reason: p.reason });
    throw new RequestError(400, describeProblems(problems), { problems });
  }
  for (const f of flags) ctx.metrics.flags.inc({ reason: f.reason });
  return { model, rows, flags };
}

function rowsFromBody(body: unknown): Record<string, unknown>[] {
  if (typeof body !== 'string') throw new RequestError(400, 'send rows as application/json or text/csv');
  try {
    return readPredictionRows(body, 'request body');
  } catch (err) {
    throw new RequestError(400, (err as Error).message);
  }
}

function describeProblems(problems: RowProblem[]): string {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : '';
  return `invalid rows: row ${first.row}, field ${first.field}: expected ${first.expected}, got ${JSON.stringify(first.got)}${more}`;
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
    const { model, rows } = await rowsRequest(ctx, request);
    const top = explainTop.safeParse((request.query as { top?: unknown } | undefined)?.top ?? '5');
    if (!top.success) throw new RequestError(400, 'invalid query: top must be a whole number from 1 to 100');
    let explanation;
    try {
      explanation = model.explain(rows);
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
    const modelName = ctx.holder.modelName;
    const [versions, champion] = await Promise.all([
      ctx.registry.listVersions(modelName),
      ctx.registry.getAlias(modelName, CHAMPION_ALIAS),
    ]);
    return {
      model: modelName,
      serving: ctx.holder.champion?.version ?? null,
      champion: champion ?? null,
      versions: versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        engine: v.engine,
        validationYear: v.validationYear,
        metrics: v.metrics,
        trainingWorkflowId: v.trainingWorkflowId,
      })),
    };
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const champion = ctx.holder.champion;
    if (!champion) {
      return reply
        .code(503)
        .send({ ready: false, error: `no champion of model "${ctx.holder.modelName}" loaded yet` });
    }
    return { ready: true, model: champion.modelName, version: champion.version };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
