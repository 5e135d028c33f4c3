import { Context } from '@temporalio/activity';
import { dedupeRows } from '../data/dedupe';
import type { RefreshRecordInput, RefreshRecordResult } from '../contracts';
import { comparePaired, type PairedRow } from '../evaluation/model-comparison';
import { refreshRecordPairs, type RecordModel } from '../evaluation/refresh-record';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import { trainedThroughOf } from './champion-comparison';
import { nonRetryable } from './errors';
import { readDataFiles } from './read-data-files';
import { CHAMPION } from './register';
import { scoreWithVersion, type ScoreDeps } from './score-version';

export interface RefreshRecordDeps extends ScoreDeps {
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const fmt = (x: number) => x.toFixed(2);

/** Each training run's best version (registered first): the refit that run made. */
function refitsOf(versions: readonly ModelVersion[]): ModelVersion[] {
  const first = new Map<string, ModelVersion>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    if (!first.has(v.trainingWorkflowId)) first.set(v.trainingWorkflowId, v);
  }
  return [...first.values()];
}

/**
 * The check's candidate, a refit not promoted at registration (its rows are all in the past), is promoted when
 * the refresh policy's record holds: on every labelled row, the newest refit made before the row's month against
 * the newest model made before its year (rows neither was fitted on), by the evidence rule. It must be the
 * newest refit: the record judges refitting, and it is the refit that refitting would serve now.
 */
export async function judgeRefreshRecordWith(
  deps: RefreshRecordDeps,
  input: RefreshRecordInput,
): Promise<RefreshRecordResult> {
  const { candidateVersion } = input;
  const refits = refitsOf(await deps.registry.listVersions(input.modelName));
  const candidate = refits.find((v) => v.version === candidateVersion);
  const championAlias = await deps.registry.getAlias(input.modelName, CHAMPION);
  const championVersion = championAlias?.version;
  const base = { candidateVersion, ...(championVersion === undefined ? {} : { championVersion }) };
  if (!candidate || !championAlias || championVersion === candidateVersion) {
    return {
      ...base,
      outcome: 'none',
      reason: `v${candidateVersion} is the champion or not a run's best version`,
    };
  }
  const models: RecordModel[] = refits.map((v) => ({
    version: v.version,
    trainedThrough: trainedThroughOf(v),
  }));
  const newest = trainedThroughOf(candidate);
  if (models.some((m) => m.trainedThrough > newest)) {
    return { ...base, outcome: 'none', reason: `v${candidateVersion} is not the newest refit` };
  }
  const firstYear = Number(
    models.reduce((a, m) => (m.trainedThrough < a ? m.trainedThrough : a), newest).slice(0, 4),
  );
  const store = deps.openDataStore(input.dataUri);
  const { rows: read, unreadable } = await readDataFiles(
    { artifacts: deps.artifacts, store },
    input.objects.filter((object) => object.year >= firstYear),
    input.schema,
  );
  if (unreadable.length > 0) throw nonRetryable('DatasetError', unreadable.join('; '));
  const rows = dedupeRows(read).filter((r) => r.traffic_volume !== undefined);
  const pairs = refreshRecordPairs(
    models,
    rows.map((r) => ({ dateTime: r.date_time.text })),
  );
  const byVersion = new Map(refits.map((v) => [v.version, v]));
  const paired: PairedRow[] = [];
  for (const pair of pairs) {
    Context.current().heartbeat({ step: 'scoring', refit: pair.refit, yearModel: pair.yearModel });
    const subset = pair.rows.map((i) => rows[i]);
    const refit = await scoreWithVersion(deps, byVersion.get(pair.refit) as ModelVersion, subset);
    const yearModel = await scoreWithVersion(deps, byVersion.get(pair.yearModel) as ModelVersion, subset);
    subset.forEach((r, k) =>
      paired.push({
        dateTime: r.date_time.text,
        actual: r.traffic_volume as number,
        champion: yearModel[k],
        challenger: refit[k],
      }),
    );
  }
  const c = comparePaired(paired, {
    minDays: input.evidence.minComparisonDays,
    confidence: input.evidence.promotionConfidence,
  });
  const record: RefreshRecordResult['record'] = {
    from: c.from,
    to: c.to,
    rows: c.rows,
    days: c.days,
    pairs: pairs.map((p) => {
      const times = p.rows.map((i) => rows[i].date_time.text).sort();
      return {
        refit: p.refit,
        yearModel: p.yearModel,
        rows: p.rows.length,
        from: times[0],
        to: times[times.length - 1],
      };
    }),
    refitsRmse: finite(c.challengerRmse),
    yearModelsRmse: finite(c.championRmse),
    difference: {
      estimate: finite(c.difference.estimate),
      low: finite(c.difference.low),
      high: finite(c.difference.high),
    },
  };
  const interval = `${input.evidence.promotionConfidence * 100}% interval`;
  const evidence =
    c.rows === 0
      ? "no labelled row has a refit newer than its year's model"
      : `refits made before each row's month ${fmt(c.challengerRmse)} vs the models made before its year ` +
        `${fmt(c.championRmse)}, rows ${c.from} … ${c.to} (${c.days} days, min ${input.evidence.minComparisonDays}), ` +
        `difference ${fmt(c.difference.estimate)}, ${interval} [${fmt(c.difference.low)}, ${fmt(c.difference.high)}]`;
  if (c.verdict !== 'better') {
    const outcome = c.verdict === 'too-few-days' ? 'deferred' : 'kept';
    const why = outcome === 'deferred' ? 'too few days' : 'refitting not better beyond noise';
    return { ...base, outcome, record, reason: `refresh record: ${why}: ${evidence}` };
  }
  const reason =
    `refresh record: refitting pays (${evidence}); v${candidateVersion}, the newest refit (trained through ` +
    `${newest}), promoted over champion v${championVersion}`;
  const moved = !(await deps.registry.setAlias({
    modelName: input.modelName,
    alias: CHAMPION,
    version: candidateVersion,
    expectedSeq: championAlias.seq,
    reason,
    setAt: new Date().toISOString(),
    by: 'retrain-check',
    runId: input.checkId,
    action: 'promote',
  }));
  // Another writer (a manual promotion, a rollback) moved the champion meanwhile: theirs stands.
  if (moved) return { ...base, outcome: 'none', record, reason: `the champion moved meanwhile; ${reason}` };
  return { ...base, championVersion: candidateVersion, outcome: 'promoted', record, reason };
}
