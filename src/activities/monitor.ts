import type { DeliveryOutcome } from '../contracts';
import { Context } from '@temporalio/activity';
import { decodePreparedDataset } from '../features/prepared-dataset';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import type { TrialPool } from '../engines/trial-pool';
import type { TrafficRow } from '../contracts/domain';
import { deliverAlert } from '../monitoring/alert-delivery';
import { alertOfEvent, alertsOfRecord, type Alert } from '../monitoring/alerts';
import { monitoringKeys } from '../monitoring/monitoring-keys';
import { computeMonitoringRecord, dayOf } from '../monitoring/monitoring-record';
import { openMonitoringDatabase, type MonitoringDatabase } from '../monitoring/postgres-sink';
import { validateReferenceProfile, type ReferenceProfile } from '../monitoring/reference-profile';
import { dailyBaseline, type DailyBaseline } from '../monitoring/column-scores';
import { droppedRowsPrefix } from '../monitoring/prediction-log-keys';
import { readServedRows } from '../monitoring/prediction-log-reader';
import {
  buildTrainingReference,
  validateTrainingReference,
  type TrainingReference,
} from '../monitoring/training-reference';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import { yearOfKey } from '../retraining/data-state';
import type { BlobStore } from '../storage/blob-store';
import type { MonitorDaysInput, MonitorDaysResult } from '../contracts/monitoring';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';
import { predictMatrix, scoreWithVersion } from './score-version';

export interface MonitorSettings {
  /** MONITORING_DATABASE_URL: records are also upserted into this Postgres database. */
  databaseUrl?: string;
  /** ALERT_WEBHOOK_URL: where alerts are posted (a check's own URL overrides it). */
  alertWebhookUrl?: string;
  /** Delivery retries (tests shorten them). */
  alertAttempts?: number;
  alertInitialDelayMs?: number;
}

export interface MonitorDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
  openDataStore(uri: string): BlobStore;
  monitoring?: MonitorSettings;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The settings of a worker from its environment. */
export function monitorSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MonitorSettings {
  return {
    ...(env.MONITORING_DATABASE_URL ? { databaseUrl: env.MONITORING_DATABASE_URL } : {}),
    ...(env.ALERT_WEBHOOK_URL ? { alertWebhookUrl: env.ALERT_WEBHOOK_URL } : {}),
  };
}

const databases = new Map<string, MonitoringDatabase>();
/** One pool per URL per worker process. */
function databaseFor(url: string): MonitoringDatabase {
  let db = databases.get(url);
  if (!db) databases.set(url, (db = openMonitoringDatabase(url)));
  return db;
}

/**
 * The champion's target and own predictions on its training rows, and its training days' daily column scores,
 * computed once per version and stored.
 */
async function trainingReferenceOf(
  deps: MonitorDeps,
  input: MonitorDaysInput,
  champion: ModelVersion,
  profile: ReferenceProfile,
): Promise<TrainingReference> {
  const key = monitoringKeys.trainingReference(input.modelName, champion.version);
  const stored = await deps.artifacts.tryGet(key);
  if (stored) return validateTrainingReference(JSON.parse(stored.toString('utf8')));
  Context.current().heartbeat({ step: 'training reference', version: champion.version });
  const dataset = decodePreparedDataset(
    await deps.artifacts.get(artifactKeys.datasetData(champion.datasetHash)),
  );
  const predictions = await predictMatrix(deps, champion, dataset.train);
  const reference = buildTrainingReference({
    modelName: input.modelName,
    modelVersion: champion.version,
    datasetHash: champion.datasetHash,
    target: dataset.trainLabels,
    predictions,
    dailyBaseline: await trainingDaysBaseline(deps, input, champion, profile),
  });
  await deps.artifacts.put(key, JSON.stringify(reference));
  return reference;
}

/** The baseline of the champion's training years (its source files minus the validation year), if readable. */
async function trainingDaysBaseline(
  deps: MonitorDeps,
  input: MonitorDaysInput,
  champion: ModelVersion,
  profile: ReferenceProfile,
): Promise<DailyBaseline[] | undefined> {
  const store = deps.openDataStore(input.dataUri);
  const rows: TrafficRow[] = [];
  for (const source of champion.sourceObjects) {
    if (yearOfKey(source.key, input.filePrefix) === champion.validationYear) continue;
    const bytes = await store.tryGet(source.key);
    if (!bytes) return undefined;
    try {
      rows.push(
        ...parseTrafficCsv({ text: bytes.toString('utf8'), file: source.key, schema: input.schema }).rows,
      );
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      return undefined;
    }
  }
  return rows.length === 0 ? undefined : dailyBaseline(profile, rows);
}

/** Rows of the day's hours the prediction service dropped unlogged, over all its instances. */
async function droppedRowsOf(store: BlobStore, modelName: string, day: string): Promise<number> {
  let total = 0;
  for (const info of await store.list(droppedRowsPrefix(modelName, day))) {
    const value = (JSON.parse((await store.get(info.key)).toString('utf8')) as { dropped?: unknown }).dropped;
    if (typeof value === 'number' && Number.isFinite(value)) total += value;
  }
  return total;
}

/** The data files' rows of `days`, by day, and the malformed rows of the files read. */
async function dataRowsOf(
  deps: MonitorDeps,
  input: MonitorDaysInput,
  days: ReadonlySet<string>,
): Promise<{ byDay: Map<string, TrafficRow[]>; badRows: number; unreadable: string[] }> {
  const store = deps.openDataStore(input.dataUri);
  const years = new Set([...days].map((d) => Number(d.slice(0, 4))));
  const byDay = new Map<string, TrafficRow[]>();
  let badRows = 0;
  const unreadable: string[] = [];
  for (const year of [...years].sort()) {
    const key = `${input.filePrefix}_${year}.csv`;
    const bytes = await store.tryGet(key);
    if (!bytes) continue;
    Context.current().heartbeat({ step: 'reading', key });
    try {
      const parsed = parseTrafficCsv({ text: bytes.toString('utf8'), file: key, schema: input.schema });
      badRows += parsed.badRowCount;
      for (const row of parsed.rows) {
        const day = dayOf(row);
        if (!days.has(day)) continue;
        let list = byDay.get(day);
        if (!list) byDay.set(day, (list = []));
        list.push(row);
      }
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      unreadable.push(err.message);
    }
  }
  return { byDay, badRows, unreadable };
}

/**
 * Computes and stores the monitoring record of each day (artifact store, then Postgres when configured), and
 * sends the alerts of the records and of the check's events. Records are a pure function of the stored data,
 * so a retried activity overwrites each with the same content and upserts the same rows.
 */
export async function monitorDaysWith(
  deps: MonitorDeps,
  input: MonitorDaysInput,
): Promise<MonitorDaysResult> {
  const bad = input.days.find((d) => !DAY.test(d));
  if (bad !== undefined) throw nonRetryable('InvalidInput', `monitor: day "${bad}" is not YYYY-MM-DD`);
  const settings = deps.monitoring ?? {};
  const webhook = input.alertWebhookUrl ?? settings.alertWebhookUrl;
  const alerts: Alert[] = [];
  const eventDay = input.days[input.days.length - 1];
  for (const event of input.events ?? [])
    if (eventDay) alerts.push(alertOfEvent(input.modelName, eventDay, event));

  const result: MonitorDaysResult = {
    records: [],
    database: settings.databaseUrl ? 'written' : 'off',
    alerts: [],
  };
  const alias = await deps.registry.getAlias(input.modelName, 'champion');
  const champion = alias && (await deps.registry.resolve(input.modelName, alias.version));
  const profileRaw =
    champion && (await deps.artifacts.tryGet(artifactKeys.datasetProfile(champion.datasetHash)));
  if (!champion || !profileRaw) {
    result.skipped = champion ? `champion v${champion.version} has no reference profile` : 'no champion yet';
  } else {
    result.championVersion = champion.version;
    const profile = validateReferenceProfile(JSON.parse(profileRaw.toString('utf8')));
    const reference = await trainingReferenceOf(deps, input, champion, profile);
    const days = new Set(input.days);
    const data = await dataRowsOf(deps, input, days);
    const served = await readServedRows(deps.artifacts, input.modelName, days);
    const fittedYears = new Set(
      [
        ...champion.sourceObjects.map((o) => yearOfKey(o.key, input.filePrefix)),
        champion.validationYear,
      ].filter((y): y is number => y !== undefined),
    );
    const labelledAll = input.days.flatMap((d) =>
      (data.byDay.get(d) ?? []).filter((r) => r.traffic_volume !== undefined),
    );
    Context.current().heartbeat({ step: 'scoring champion', rows: labelledAll.length });
    const scored =
      labelledAll.length > 0 ? await scoreWithVersion(deps, champion, labelledAll) : new Float32Array(0);
    let offset = 0;
    const db = settings.databaseUrl ? databaseFor(settings.databaseUrl) : undefined;
    for (const day of [...input.days].sort()) {
      Context.current().heartbeat({ step: 'record', day });
      const dataRows = data.byDay.get(day) ?? [];
      const labelled = dataRows.filter((r) => r.traffic_volume !== undefined).length;
      const record = computeMonitoringRecord({
        modelName: input.modelName,
        day,
        profile,
        reference,
        dataRows,
        served: served.byDay.get(day) ?? [],
        championPredictions: scored.subarray(offset, offset + labelled),
        championFittedOn: fittedYears.has(Number(day.slice(0, 4))),
        badDataRows: data.badRows,
        badLogLines: served.badLineCount,
        droppedLogRows: await droppedRowsOf(deps.artifacts, input.modelName, day),
        psiThreshold: input.psiThreshold,
      });
      offset += labelled;
      const key = monitoringKeys.dayRecord(input.modelName, day);
      await deps.artifacts.put(key, JSON.stringify(record, null, 2));
      if (db && typeof result.database === 'string') {
        try {
          await db.writeRecord(record);
        } catch (err) {
          result.database = { failed: (err as Error).message };
        }
      }
      if (input.alertOnRecords !== false) alerts.push(...alertsOfRecord(record));
      result.records.push({
        day,
        key,
        rows: record.columns[0]?.rows ?? 0,
        served: record.counts.served,
        ...(record.worst ? { worst: record.worst } : {}),
        drifted: record.columns.filter((c) => c.drifted).map((c) => c.column),
      });
    }
    if (db && typeof result.database === 'string') {
      try {
        for (const name of ['champion', 'challenger']) {
          await db.writePromotions(
            input.modelName,
            name,
            await deps.registry.aliasHistory(input.modelName, name),
          );
        }
      } catch (err) {
        result.database = { failed: (err as Error).message };
      }
    }
  }
  // A database that cannot be written is retried by Temporal: the records in the store are already in place.
  if (typeof result.database === 'object') throw new Error(`monitoring database: ${result.database.failed}`);

  if (webhook) {
    for (const a of alerts) {
      const outcome: DeliveryOutcome = await deliverAlert(deps.artifacts, a, {
        url: webhook,
        attempts: settings.alertAttempts,
        initialDelayMs: settings.alertInitialDelayMs,
        onRetry: (attempt, error) =>
          Context.current().heartbeat({ step: 'alert', cause: a.cause, attempt, error }),
      });
      result.alerts.push(outcome);
      if (outcome.status === 'sent' && settings.databaseUrl) {
        await databaseFor(settings.databaseUrl)
          .writeAlert({ model: a.model, day: a.day, cause: a.cause, text: a.text })
          .catch(() => undefined);
      }
    }
  }
  return result;
}
