import type { ModelVersion } from '../registry/model-registry';
import { DEFAULT_FEATURE_SET } from '../features/feature-pipeline';
import {
  INTERVAL_METHOD_WHEN_ABSENT,
  type ModelComparison,
  type TrainingInput,
  type TrainingResult,
} from '../contracts';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatLeaderboard(result: TrainingResult, limit = 10): string {
  const board = result.search?.leaderboard ?? [];
  const rows = board
    .slice(0, limit)
    .map((t, i) => [
      i + 1,
      t.trialId,
      t.metrics.rmse.toFixed(1),
      t.metrics.mae.toFixed(1),
      t.metrics.r2.toFixed(4),
      t.rounds,
      t.params.max_depth,
      t.params.learning_rate.toFixed(3),
      `${(t.trainMs / 1000).toFixed(1)}s`,
      t.engine,
    ]);
  const counts = result.search?.counts;
  const finished = counts ? counts.succeeded + counts.pruned : board.length;
  const more =
    finished > Math.min(limit, board.length)
      ? `\n… ${finished - Math.min(limit, board.length)} more trials`
      : '';
  const failedCount = counts?.failed ?? result.search?.failures.length ?? 0;
  const failed = failedCount
    ? `\n${failedCount} trial(s) failed: ${result.search?.failures[0]?.error ?? 'see the trial table'}`
    : '';
  const s = result.search;
  const summary =
    s?.counts && s.strategy
      ? `\nsampler ${s.strategy.sampler}, pruning ${s.strategy.pruning}${s.strategy.reproducible ? ', reproducible' : ''}: ` +
        `${s.counts.succeeded} succeeded, ${s.counts.pruned} pruned, ${s.counts.failed} failed` +
        (s.trialTableRef ? `; every trial in ${s.trialTableRef}` : '')
      : '';
  return (
    table(['#', 'trial', 'rmse', 'mae', 'r2', 'rounds', 'depth', 'eta', 'time', 'engine'], rows) +
    more +
    failed +
    summary
  );
}

/** The quality settings a training ran with, e.g. `v2, holidays major, recency half-life 0.5 y, …`. */
export function trainingSettingsLine(
  input: Pick<
    TrainingInput,
    'features' | 'holidays' | 'recencyHalfLife' | 'refit' | 'ensemble' | 'intervalMethod'
  >,
): string {
  const features = input.features ?? DEFAULT_FEATURE_SET;
  return [
    features,
    ...(features === 'v2' ? [`holidays ${input.holidays ?? 'federal'}`] : []),
    input.recencyHalfLife === undefined
      ? 'no recency weights'
      : `recency half-life ${input.recencyHalfLife} y`,
    ...(input.refit ? ['refit'] : []),
    ...(input.ensemble !== undefined && input.ensemble > 1 ? [`ensemble ${input.ensemble}`] : []),
    `intervals ${input.intervalMethod ?? INTERVAL_METHOD_WHEN_ABSENT}`,
  ].join(', ');
}

/** A training's result for people; `input` (when the caller has it) adds the settings it ran with. */
export function formatTrainingResult(result: TrainingResult, input?: TrainingInput): string {
  const d = result.dataset;
  const lines = [
    `run ${result.workflowId}`,
    ...(input ? [`settings: ${trainingSettingsLine(input)}`] : []),
    `data set ${d.datasetHash}${d.reused ? ' (reused)' : ''}: ${d.trainRows} train rows, ${d.validationRows} validation rows (${d.validationYear}), ${d.duplicatesRemoved} duplicates removed, ${d.featureNames.length} features`,
  ];
  for (const bad of d.badRows)
    lines.push(`  ${bad.file}: ${bad.count} malformed row(s) skipped, e.g. ${bad.examples[0]}`);
  if (d.featureSet) lines.push(`features ${d.featureSet} (pipeline version ${d.pipelineVersion})`);
  const cleaned = Object.entries(d.cleanedValues ?? {});
  if (cleaned.length > 0)
    lines.push(`impossible values set to missing: ${cleaned.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  if (d.earlyStopping)
    lines.push(
      `early stopping on ${d.earlyStopping.from} … ${d.earlyStopping.to} (${d.earlyStopping.rows} rows held out of training); selection on ${d.validationYear}`,
    );
  if (result.search) lines.push('', 'leaderboard (validation):', formatLeaderboard(result));
  const f = result.finalModel;
  if (f) {
    const what = [f.modelFormat === 'ensemble' ? `ensemble of ${f.members?.join(', ')}` : f.trialId];
    if (f.refit) what.push(`refitted on ${f.refit.rows} rows with ${f.refit.rounds} rounds`);
    lines.push('', `final model: ${what.join(', ')}; validation RMSE ${f.metrics.rmse.toFixed(1)}`);
  }
  if (result.registration) {
    const r = result.registration;
    lines.push(
      '',
      `registered ${r.modelName} versions: ${r.versions.map((v) => `v${v.version} (${v.trialId}, RMSE ${v.rmse.toFixed(1)})`).join(', ')}`,
    );
    lines.push(`champion: v${r.champion.championVersion} — ${r.champion.decision}: ${r.champion.reason}`);
    if (r.champion.comparison) lines.push(formatComparison(r.champion.comparison));
  }
  if (result.reportRef)
    lines.push('', `report: ${result.reportRef} (npm run client -- report ${result.workflowId})`);
  if (result.mlflow?.status === 'mirrored') {
    lines.push(
      `MLflow: run ${result.mlflow.runId} in experiment ${result.mlflow.experimentId} at ${result.mlflow.trackingUri}`,
    );
  } else if (result.mlflow) {
    lines.push(
      `MLflow: mirror FAILED (${result.mlflow.error}); the training itself succeeded: run \`npm run client -- mlflow sync --model-name ${result.modelName}\` when MLflow is back`,
    );
  }
  return lines.join('\n');
}

/** One line for a champion decision's comparison: the rows compared, both RMSEs there, the interval. */
export function formatComparison(c: ModelComparison): string {
  const n = (x: number | null, digits = 1): string => (x === null ? '—' : x.toFixed(digits));
  const d = c.difference;
  const window =
    c.rows === 0
      ? 'no rows neither model was fitted on'
      : `${c.rows} rows, ${c.days} days, ${c.from} … ${c.to}`;
  return `comparison (${c.decision}): ${window}; champion v${c.champion.version} RMSE ${n(c.champion.rmse)}, v${c.challenger.version} RMSE ${n(c.challenger.rmse)}; difference ${n(d.estimate)} [${n(d.low)}, ${n(d.high)}]`;
}

export function formatVersions(versions: ModelVersion[], championVersion?: number): string {
  return table(
    ['version', 'alias', 'rmse', 'mae', 'r2', 'val-year', 'engine', 'rounds', 'trial', 'created', 'run'],
    versions.map((v) => [
      v.version,
      v.version === championVersion ? 'champion' : '',
      v.metrics.rmse.toFixed(1),
      v.metrics.mae.toFixed(1),
      v.metrics.r2.toFixed(4),
      v.validationYear,
      `${v.engine} ${v.engineVersion}`,
      v.rounds,
      v.trialId,
      v.createdAt,
      v.trainingWorkflowId,
    ]),
  );
}
