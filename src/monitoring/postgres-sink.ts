/**
 * Monitoring records mirrored into Postgres for dashboards (Grafana). The artifact store stays the source of
 * truth; every write here is an upsert keyed by model, day (and column or version), so a retried activity or a
 * backfill run twice leaves one row per key with the latest values.
 */
import pg from 'pg';
import type { AliasState } from '../registry/records';
import type { MonitoringRecord } from './monitoring-record';

/** Applied in order, each once (recorded in monitoring_schema_migrations), under an advisory lock. */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE monitoring_days (
  model text NOT NULL,
  day date NOT NULL,
  champion_version integer NOT NULL,
  column_source text NOT NULL,
  served integer NOT NULL,
  data_rows integer NOT NULL,
  labelled integer NOT NULL,
  bad_data_rows integer NOT NULL,
  bad_log_lines integer NOT NULL,
  dropped_log_rows integer,
  worst_column text,
  worst_psi double precision,
  worst_ratio double precision,
  prediction_rows integer,
  prediction_psi double precision,
  prediction_wasserstein double precision,
  target_rows integer,
  target_psi double precision,
  target_wasserstein double precision,
  champion_rows integer,
  champion_rmse double precision,
  champion_mae double precision,
  champion_fitted_on boolean,
  record jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, day)
);
CREATE TABLE monitoring_column_drift (
  model text NOT NULL,
  day date NOT NULL,
  column_name text NOT NULL,
  kind text NOT NULL,
  psi double precision NOT NULL,
  wasserstein double precision,
  jensen_shannon double precision,
  rows integer NOT NULL,
  reference_rows integer NOT NULL,
  threshold_metric text NOT NULL,
  threshold double precision NOT NULL,
  ratio double precision NOT NULL,
  drifted boolean NOT NULL,
  PRIMARY KEY (model, day, column_name)
);
CREATE TABLE monitoring_live_accuracy (
  model text NOT NULL,
  day date NOT NULL,
  version integer NOT NULL,
  rows integer NOT NULL,
  rmse double precision NOT NULL,
  mae double precision NOT NULL,
  PRIMARY KEY (model, day, version)
);
CREATE TABLE monitoring_promotions (
  model text NOT NULL,
  alias text NOT NULL,
  seq integer NOT NULL,
  version integer NOT NULL,
  set_at timestamptz NOT NULL,
  action text,
  reason text,
  PRIMARY KEY (model, alias, seq)
);
CREATE TABLE monitoring_alerts (
  model text NOT NULL,
  day date NOT NULL,
  cause text NOT NULL,
  text text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, day, cause)
);`,
  },
];

export interface MonitoringDatabase {
  migrate(): Promise<number[]>;
  writeRecord(record: MonitoringRecord): Promise<void>;
  /** An alias's history (registry aliasHistory): the promotions the dashboard marks. */
  writePromotions(model: string, alias: string, history: readonly AliasState[]): Promise<void>;
  writeAlert(alert: { model: string; day: string; cause: string; text: string }): Promise<void>;
  close(): Promise<void>;
}

/** Any stable 64-bit number: the migration lock of this schema. */
const MIGRATION_LOCK = 1_7_2026_001;

export function openMonitoringDatabase(url: string): MonitoringDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle client's connection error (server restarted) must not crash the worker; the next query reconnects.
  pool.on('error', () => undefined);
  let migrated: Promise<number[]> | undefined;

  async function migrate(): Promise<number[]> {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS monitoring_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (
          await client.query<{ version: number }>('SELECT version FROM monitoring_schema_migrations')
        ).rows.map((r) => r.version),
      );
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO monitoring_schema_migrations (version) VALUES ($1)', [m.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }
  const ready = () => {
    migrated ??= migrate().catch((err: unknown) => {
      migrated = undefined;
      throw err;
    });
    return migrated;
  };

  async function inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    await ready();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    migrate: ready,
    writeRecord: (r) =>
      inTransaction(async (c) => {
        const acc = r.championOnDay;
        await c.query(
          `INSERT INTO monitoring_days (model, day, champion_version, column_source, served, data_rows, labelled,
             bad_data_rows, bad_log_lines, dropped_log_rows, worst_column, worst_psi, worst_ratio, prediction_rows, prediction_psi,
             prediction_wasserstein, target_rows, target_psi, target_wasserstein, champion_rows, champion_rmse,
             champion_mae, champion_fitted_on, record, updated_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24, now())
           ON CONFLICT (model, day) DO UPDATE SET champion_version = EXCLUDED.champion_version,
             column_source = EXCLUDED.column_source, served = EXCLUDED.served, data_rows = EXCLUDED.data_rows,
             labelled = EXCLUDED.labelled, bad_data_rows = EXCLUDED.bad_data_rows,
             bad_log_lines = EXCLUDED.bad_log_lines, dropped_log_rows = EXCLUDED.dropped_log_rows,
             worst_column = EXCLUDED.worst_column, worst_psi = EXCLUDED.worst_psi, worst_ratio = EXCLUDED.worst_ratio,
             prediction_rows = EXCLUDED.prediction_rows, prediction_psi = EXCLUDED.prediction_psi,
             prediction_wasserstein = EXCLUDED.prediction_wasserstein, target_rows = EXCLUDED.target_rows,
             target_psi = EXCLUDED.target_psi, target_wasserstein = EXCLUDED.target_wasserstein,
             champion_rows = EXCLUDED.champion_rows, champion_rmse = EXCLUDED.champion_rmse,
             champion_mae = EXCLUDED.champion_mae, champion_fitted_on = EXCLUDED.champion_fitted_on,
             record = EXCLUDED.record, updated_at = now()`,
          [
            r.modelName,
            r.day,
            r.champion.version,
            r.columnSource,
            r.counts.served,
            r.counts.dataRows,
            r.counts.labelled,
            r.counts.badDataRows,
            r.counts.badLogLines,
            r.counts.droppedLogRows,
            r.worst?.column ?? null,
            r.worst?.psi ?? null,
            r.worst?.ratio ?? null,
            r.predictionDrift?.rows ?? null,
            r.predictionDrift?.psi ?? null,
            r.predictionDrift?.wasserstein ?? null,
            r.targetDrift?.rows ?? null,
            r.targetDrift?.psi ?? null,
            r.targetDrift?.wasserstein ?? null,
            acc?.rows ?? null,
            acc?.rmse ?? null,
            acc?.mae ?? null,
            acc?.fittedOn ?? null,
            JSON.stringify(r),
          ],
        );
        for (const col of r.columns) {
          await c.query(
            `INSERT INTO monitoring_column_drift (model, day, column_name, kind, psi, wasserstein, jensen_shannon,
               rows, reference_rows, threshold_metric, threshold, ratio, drifted)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
             ON CONFLICT (model, day, column_name) DO UPDATE SET kind = EXCLUDED.kind, psi = EXCLUDED.psi,
               wasserstein = EXCLUDED.wasserstein, jensen_shannon = EXCLUDED.jensen_shannon, rows = EXCLUDED.rows,
               reference_rows = EXCLUDED.reference_rows, threshold_metric = EXCLUDED.threshold_metric,
               threshold = EXCLUDED.threshold, ratio = EXCLUDED.ratio, drifted = EXCLUDED.drifted`,
            [
              r.modelName,
              r.day,
              col.column,
              col.kind,
              col.psi,
              col.wasserstein ?? null,
              col.jensenShannon ?? null,
              col.rows,
              col.referenceRows,
              col.thresholdMetric,
              col.threshold,
              col.ratio,
              col.drifted,
            ],
          );
        }
        // The versions served that day: replaced as a set, so a version no longer present leaves no stale row.
        await c.query('DELETE FROM monitoring_live_accuracy WHERE model = $1 AND day = $2', [
          r.modelName,
          r.day,
        ]);
        for (const v of r.liveAccuracy.byVersion) {
          await c.query(
            'INSERT INTO monitoring_live_accuracy (model, day, version, rows, rmse, mae) VALUES ($1,$2,$3,$4,$5,$6)',
            [r.modelName, r.day, v.version, v.rows, v.rmse, v.mae],
          );
        }
      }),
    writePromotions: (model, alias, history) =>
      inTransaction(async (c) => {
        for (const a of history) {
          await c.query(
            `INSERT INTO monitoring_promotions (model, alias, seq, version, set_at, action, reason)
             VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (model, alias, seq) DO NOTHING`,
            [model, alias, a.seq, a.version, a.setAt, a.action ?? 'promote', a.reason ?? null],
          );
        }
      }),
    writeAlert: (a) =>
      inTransaction(async (c) => {
        await c.query(
          `INSERT INTO monitoring_alerts (model, day, cause, text) VALUES ($1,$2,$3,$4)
           ON CONFLICT (model, day, cause) DO NOTHING`,
          [a.model, a.day, a.cause, a.text],
        );
      }),
    close: () => pool.end(),
  };
}
