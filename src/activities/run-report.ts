import { performance } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { columnGroups, groupContributions, meanOutputs, type ModelOutputs } from '../engines/explain';
import { parseEnsembleModel, type EnsembleMember } from '../engines/ensemble-model';
import { transformWithPipeline, validateAnyFeaturePipeline } from '../features/feature-pipeline';
import { targetVector } from '../features/features';
import type { TrialPool } from '../engines/trial-pool';
import type { DriftReport } from '../monitoring/psi';
import { renderRunReport, searchChartSpecs } from '../report/render-run-report';
import { renderAhead } from '../report/render-ahead';
import { renderSvg, type ChartRenderer } from '../report/render-svg';
import type { ReportTrial, ReportValidation, RunReportInput } from '../report/report-data';
import type { BlobStore } from '../storage/blob-store';
import type { BuildRunReportInput, BuildRunReportResult, DenseMatrix, TrialResult } from '../contracts';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';
import { loadRunTrials } from './run-trials';
import { predictMatrix } from './score-version';
import { loadPredictions } from './stored-predictions';
import { loadValidationRows } from './validation-rows';
import { intervalsForVersion } from './version-intervals';
import { DEFAULT_INTERVAL_LEVEL } from '../evaluation/prediction-interval';
import { meanAbsShapIntervals } from '../evaluation/shap-precision';
import {
  hourByWorkingDay,
  SHAP_SAMPLE_DESIGN,
  SHAP_SAMPLE_ROWS,
  shapSampleRows,
  stratifiedShapSampleRows,
} from '../evaluation/shap-sample';
import { takeRows } from '../features/stack-rows';

export interface RunReportDeps {
  artifacts: BlobStore;
  openDataStore(uri: string): BlobStore;
  pool: TrialPool;
  /** Rows the SHAP summary is computed on unless the training says (default SHAP_SAMPLE_ROWS; Infinity: all). */
  shapSampleRows?: number;
  /** Where the charts render (default: on this thread). */
  renderChart?: ChartRenderer;
  /** How the sample is drawn (default SHAP_SAMPLE_DESIGN; 'even': the plain even spread of earlier reports). */
  shapSampleDesign?: 'even' | 'stratified';
}

/** Where the Web UI lives, for the report's link to the run (the dev server's default unless TEMPORAL_UI_URL). */
export function webUiRunUrl(namespace: string, workflowId: string): string {
  const base = (process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Gathers a training run's numbers, the best model's SHAP values and errors on the validation year, and the drift report. */
export async function collectRunReport(
  deps: RunReportDeps,
  input: BuildRunReportInput & {
    namespace: string;
    now: Date;
    heartbeat?: (step: string) => void;
    /** Called with the trials as soon as they are loaded, before the costly validation scoring. */
    onTrials?: (trials: readonly ReportTrial[]) => void;
  },
): Promise<RunReportInput> {
  const { result, training } = input;
  const heartbeat = input.heartbeat ?? (() => undefined);
  const trials = await loadRunTrials(deps, result);
  input.onTrials?.(trials);
  const best = result.search?.leaderboard[0];
  // The model this run registers: the refitted or ensemble model when there is one, else the best trial.
  const registered = result.finalModel ?? best;
  const registration = result.registration;
  const engine = best ? `${best.engine} ${best.engineVersion}` : 'none (no trial ran)';
  const report: RunReportInput = {
    run: {
      runId: input.runId,
      modelName: training.modelName,
      dataUri: training.dataUri,
      filePrefix: training.filePrefix,
      years: training.years,
      validationYear: training.validationYear,
      trainRows: result.dataset.trainRows,
      validationRows: result.dataset.validationRows,
      duplicatesRemoved: result.dataset.duplicatesRemoved,
      badRows: result.dataset.badRows,
      engine,
      trigger: input.parentWorkflowId ? `${training.trigger} (${input.parentWorkflowId})` : training.trigger,
      startedAt: input.startedAt,
      durationMs: input.now.getTime() - Date.parse(input.startedAt),
      webUiUrl: webUiRunUrl(input.namespace, input.runId),
      datasetHash: result.dataset.datasetHash,
    },
    trials,
    champion: registration?.champion,
    generatedAt: input.now.toISOString(),
  };
  if (registered) {
    heartbeat('scoring the validation year');
    report.validation = await validationOf(deps, input, registered, heartbeat);
  }
  if (training.driftReportRef) {
    const raw = await deps.artifacts.tryGet(training.driftReportRef);
    if (raw) {
      const stored = JSON.parse(raw.toString('utf8')) as { drift?: DriftReport };
      if (stored.drift) report.drift = { reportRef: training.driftReportRef, report: stored.drift };
    }
  }
  return report;
}

async function validationOf(
  deps: RunReportDeps,
  input: BuildRunReportInput,
  best: TrialResult,
  heartbeat: (step: string) => void,
): Promise<ReportValidation> {
  const { training, result } = input;
  const pipeline = validateAnyFeaturePipeline(
    JSON.parse(
      (await deps.artifacts.get(artifactKeys.datasetPipeline(result.dataset.datasetHash))).toString('utf8'),
    ),
  );
  const rows = await loadValidationRows(deps.artifacts, result.dataset.datasetHash);
  // Every row's features only where every row is predicted here; otherwise the SHAP sample's rows alone (a row's
  // features never depend on the other rows of the batch: src/features/features-v2.ts).
  let all: DenseMatrix | undefined;
  const allRows = () => (all ??= transformWithPipeline(pipeline, rows).matrix);
  const actual = targetVector(rows, training.schema);
  const modelRef = best.modelRef;
  if (!modelRef) throw nonRetryable('InvalidInput', `${best.trialId} has no stored model`);
  const members = await membersOf(deps, { ...best, modelRef });
  const version = result.registration?.versions.find((v) => v.trialId === best.trialId)?.version;
  const champion = result.registration?.champion;
  const role =
    version === undefined
      ? 'not registered'
      : champion?.championVersion === version
        ? `v${version}, the champion`
        : `v${version}; the champion stayed v${champion?.championVersion}`;
  const modelLabel = `this run’s best model, ${best.trialId} (${role})`;
  // A refitted model has trained on the validation year, so its errors there would flatter it: the errors, the
  // weekly chart and its interval are the selected (pre-refit) models'; the SHAP values explain the model registered.
  const judged = best.selected ? { ...best, ...best.selected } : { ...best, modelRef };
  const base = {
    modelLabel,
    errorsLabel: best.selected
      ? `the model as selected, before the refit (${selectedLabel(best)}), which never trained on ${training.validationYear}: the registered model has trained on it too, so its own errors there would flatter it`
      : modelLabel,
    times: rows.map((r) => r.date_time),
    actual,
  };
  const intervalRef =
    best.intervalRef ?? result.registration?.versions.find((v) => v.trialId === best.trialId)?.intervalRef;
  const intervalsOf = async (predicted: Float32Array) =>
    intervalRef
      ? {
          intervals: {
            level: DEFAULT_INTERVAL_LEVEL,
            bounds: await intervalsForVersion(
              deps.artifacts,
              { modelName: result.modelName, version: version ?? 0, intervalRef },
              rows,
              predicted,
              DEFAULT_INTERVAL_LEVEL,
            ),
          },
        }
      : {};

  // finalizeModel has predicted these rows (the prepared set's validation rows, in their order) with the model
  // as selected: its predictions are reused.
  const selectedPredictions = best.selected?.validationPredictionsRef
    ? await loadPredictions(deps.artifacts, best.selected.validationPredictionsRef, rows.length)
    : undefined;
  if (members.some((m) => m.engine !== 'native')) {
    const predicted = selectedPredictions ?? (await predictMatrix(deps, judged, allRows()));
    return {
      ...base,
      predicted,
      ...(await intervalsOf(predicted)),
      explanationUnavailable: `No SHAP summary: the model was trained by the ${best.engine} engine (ml-xgboost, XGBoost 0.7), which has no TreeSHAP. Explanations need the native engine (apt-get install libxgboost0).`,
    };
  }
  const started = performance.now();
  // Exact predictions for every row; SHAP values (the costly part) on a stated sample of rows.
  const size = training.shapSampleRows ?? deps.shapSampleRows ?? SHAP_SAMPLE_ROWS;
  const design = deps.shapSampleDesign ?? SHAP_SAMPLE_DESIGN;
  const drawn =
    design === 'stratified'
      ? stratifiedShapSampleRows(
          rows.map((r) => hourByWorkingDay(r.date_time)),
          size,
        )
      : { rows: shapSampleRows(rows.length, size), strata: undefined, stratumSizes: undefined };
  const sample = drawn.rows;
  // Without finalizeModel's predictions, every row is predicted here (by the model as selected, when refitted).
  const predict = selectedPredictions
    ? undefined
    : { members: best.selected ? await membersOf(deps, judged) : members, x: allRows() };
  const xs = predict
    ? takeRows(predict.x, sample)
    : transformWithPipeline(
        pipeline,
        sample.map((r) => rows[r]),
      ).matrix;
  const outputs = await membersOutputs(deps, members, xs, predict, heartbeat);
  // membersOutputs predicts every row whenever it is asked to.
  const predicted = selectedPredictions ?? outputs.predictions!;
  const explanation = groupContributions(pipeline, outputs.sample);
  const meanAbsShap = meanAbsShapIntervals(
    explanation,
    rows.length,
    drawn.strata && drawn.stratumSizes
      ? { strata: drawn.strata, stratumSizes: drawn.stratumSizes }
      : undefined,
  );
  const shapMs = performance.now() - started;
  // Colour for the beeswarm: a column's input value where the column is one feature.
  const { columns, columnOfFeature } = columnGroups(pipeline);
  const featureOf = columns.map((_, c) => {
    const features = columnOfFeature.flatMap((col, f) => (col === c ? [f] : []));
    return features.length === 1 ? features[0] : -1;
  });
  const columnValues = new Float64Array(sample.length * columns.length);
  for (let i = 0; i < sample.length; i++)
    for (let c = 0; c < columns.length; c++)
      columnValues[i * columns.length + c] =
        featureOf[c] < 0 ? Number.NaN : xs.data[i * xs.cols + featureOf[c]];
  return {
    ...base,
    predicted,
    ...(await intervalsOf(predicted)),
    explanation,
    columnValues,
    shapSample: {
      rows: sample.length,
      of: rows.length,
      // One stratum (every row alike) is the even spread.
      design:
        drawn.stratumSizes && drawn.stratumSizes.size > 1 && sample.length < rows.length
          ? 'stratified'
          : 'even',
      meanAbsShap,
    },
    shapMs,
  };
}

/** `trial-003` or `the mean of trial-003, trial-017, …` for a refitted model's selected trial(s). */
function selectedLabel(model: TrialResult): string {
  const trials = model.members ?? [model.trialId.replace(/-refit$/, '')];
  return trials.length === 1 ? trials[0] : `the mean of ${trials.join(', ')}`;
}

/** The models behind a stored model: itself, or the members of an ensemble. */
async function membersOf(
  deps: RunReportDeps,
  model: TrialResult & { modelRef: string },
): Promise<EnsembleMember[]> {
  if (model.modelFormat !== 'ensemble') return [model];
  return parseEnsembleModel(JSON.parse((await deps.artifacts.get(model.modelRef)).toString('utf8'))).members;
}

/**
 * Rows per SHAP task. Every chunk of every member ends with a heartbeat, so a report on a busy machine keeps
 * reporting progress however long the SHAP values of five ensemble members take in all.
 */
export const SHAP_CHUNK_ROWS = 250;

/**
 * The `members`' predictions and SHAP values on the sample's rows `xs`, and with `predict`, the mean of
 * its members' predictions on its every row. Every member's every chunk is one pool task, as many at once as the
 * pool has threads; the means are taken in member order, so the numbers are those of one member and one chunk
 * after another.
 */
async function membersOutputs(
  deps: RunReportDeps,
  members: EnsembleMember[],
  xs: DenseMatrix,
  predict: { members: EnsembleMember[]; x: DenseMatrix } | undefined,
  heartbeat: (step: string) => void,
): Promise<{ predictions?: Float32Array; sample: ModelOutputs }> {
  const predicted = predict?.members ?? [];
  const models = await Promise.all(members.map((m) => deps.artifacts.get(m.modelRef)));
  const predictedModels =
    predicted === members ? models : await Promise.all(predicted.map((m) => deps.artifacts.get(m.modelRef)));
  const chunks: { member: number; start: number; end: number }[] = [];
  for (const member of members.keys())
    for (let start = 0; start < xs.rows; start += SHAP_CHUNK_ROWS)
      chunks.push({ member, start, end: Math.min(xs.rows, start + SHAP_CHUNK_ROWS) });
  const predictions: Float32Array[] = [];
  const outputs: ModelOutputs[] = members.map(() => ({
    predictions: new Float32Array(xs.rows),
    contributions: new Float32Array(xs.rows * (xs.cols + 1)),
  }));
  const limit = Math.max(1, deps.pool.threads);
  let done = 0;
  heartbeat(`SHAP of ${members.length} member(s) on ${xs.rows} rows, ${limit} at once`);
  await inParallel(
    [
      ...(predict
        ? predicted.map((m, i) => async () => {
            const { x } = predict;
            predictions[i] = await deps.pool.predict({
              engine: m.engine,
              model: predictedModels[i],
              rounds: m.rounds,
              x,
            });
            heartbeat(`predictions of member ${i + 1} of ${predicted.length}: ${x.rows} rows`);
          })
        : []),
      ...chunks.map(({ member, start, end }) => async () => {
        const m = members[member];
        const chunk = {
          rows: end - start,
          cols: xs.cols,
          data: xs.data.slice(start * xs.cols, end * xs.cols),
        };
        const out = await deps.pool.explain({
          engine: m.engine,
          model: models[member],
          rounds: m.rounds,
          x: chunk,
        });
        outputs[member].predictions.set(out.predictions, start);
        outputs[member].contributions.set(out.contributions, start * (xs.cols + 1));
        done++;
        heartbeat(
          `SHAP of member ${member + 1} of ${members.length}: rows ${start + 1}–${end} of ${xs.rows} (${done} of ${chunks.length} chunks)`,
        );
      }),
    ],
    limit,
  );
  const noContributions = new Float32Array(0);
  return {
    ...(predict
      ? {
          predictions: meanOutputs(
            predictions.map((p) => ({ predictions: p, contributions: noContributions })),
          ).predictions,
        }
      : {}),
    sample: meanOutputs(outputs),
  };
}

/** Runs the tasks, at most `limit` at once, starting them in order. */
async function inParallel(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
}

/** The buildRunReport activity: collects, renders and stores `reports/<run id>.html`. */
export async function buildRunReportWith(
  deps: RunReportDeps,
  input: BuildRunReportInput,
): Promise<BuildRunReportResult> {
  const started = performance.now();
  const context = Context.current();
  // The search's charts render while the validation year is scored.
  const charts = renderAhead(deps.renderChart ?? renderSvg);
  const data = await collectRunReport(deps, {
    ...input,
    namespace: context.info.namespace,
    now: new Date(),
    heartbeat: (step) => context.heartbeat({ step }),
    onTrials: (trials) => {
      const specs = searchChartSpecs(trials);
      if (specs) charts.start([specs.convergence, specs.parameters]);
    },
  });
  context.heartbeat({ step: 'rendering' });
  const html = await renderRunReport(data, charts.render);
  const reportRef = artifactKeys.runReport(input.runId);
  await deps.artifacts.put(reportRef, html);
  return {
    reportRef,
    bytes: Buffer.byteLength(html),
    buildMs: Math.round(performance.now() - started),
    shapMs: data.validation?.shapMs === undefined ? undefined : Math.round(data.validation.shapMs),
    ...(data.validation?.shapSample ? { shapSample: data.validation.shapSample } : {}),
  };
}
