/**
 * What deserves an alert, as Slack-compatible JSON: `text` for people, the other fields for machines. Each alert
 * has a cause that is unique per model and day, so it is sent once (alert-delivery.ts).
 */
import type { MonitoringRecord } from './monitoring-record';
import type { CheckEvent } from '../contracts/alerts';

export type AlertKind = 'drift' | 'decay' | 'check-failed' | 'promoted' | 'deferred' | 'log-dropped';

export interface Alert {
  /** Model, day and cause identify the alert: a receiver can deduplicate on `id`. */
  id: string;
  kind: AlertKind;
  cause: string;
  model: string;
  day: string;
  text: string;
  fields: Record<string, string | number | boolean | null>;
}

function alert(
  model: string,
  day: string,
  kind: AlertKind,
  cause: string,
  text: string,
  fields: Alert['fields'],
): Alert {
  return { id: `${model}/${day}/${cause}`, kind, cause, model, day, text, fields };
}

const fmt = (x: number) => String(Number(x.toPrecision(3)));

/** The alerts a day's record raises: each drifted column, and prediction-log rows lost or unreadable. */
export function alertsOfRecord(record: MonitoringRecord): Alert[] {
  const { modelName: model, day } = record;
  const out: Alert[] = [];
  for (const c of record.columns.filter((col) => col.drifted)) {
    const score =
      c.thresholdMetric === 'psi'
        ? c.psi
        : c.thresholdMetric === 'wasserstein'
          ? c.wasserstein
          : c.jensenShannon;
    const limit =
      c.thresholdMetric === 'psi'
        ? 'PSI threshold plus small-sample noise'
        : '1.5 × the largest of any training day';
    out.push(
      alert(
        model,
        day,
        'drift',
        `drift-${c.column}`,
        `:warning: ${model} ${day}: input column ${c.column} drifted: ${c.thresholdMetric} ${fmt(score ?? 0)} > ${fmt(c.threshold)} (${limit}), PSI ${fmt(c.psi)}, ${c.rows} rows vs ${c.referenceRows} training rows`,
        {
          column: c.column,
          metric: c.thresholdMetric,
          score: score ?? null,
          threshold: c.threshold,
          ratio: c.ratio,
          psi: c.psi,
          wasserstein: c.wasserstein ?? null,
          jensenShannon: c.jensenShannon ?? null,
          rows: c.rows,
          referenceRows: c.referenceRows,
          championVersion: record.champion.version,
        },
      ),
    );
  }
  const lost = (record.counts.droppedLogRows ?? 0) + record.counts.badLogLines;
  if (lost > 0) {
    out.push(
      alert(
        model,
        day,
        'log-dropped',
        'log-dropped',
        `:warning: ${model} ${day}: the prediction log lost rows (${record.counts.droppedLogRows ?? 0} dropped by the service, ${record.counts.badLogLines} unreadable lines)`,
        { droppedLogRows: record.counts.droppedLogRows, badLogLines: record.counts.badLogLines },
      ),
    );
  }
  return out;
}

export function alertOfEvent(model: string, day: string, event: CheckEvent): Alert {
  switch (event.kind) {
    case 'decay':
      return alert(
        model,
        day,
        'decay',
        'decay',
        `:chart_with_downwards_trend: ${model} ${day}: champion decayed: RMSE ${fmt(event.rmse)} on new labelled rows vs ${fmt(event.validationRmse)} on validation (×${fmt(event.ratio)})`,
        { rmse: event.rmse, validationRmse: event.validationRmse, ratio: event.ratio },
      );
    case 'check-failed':
      return alert(
        model,
        day,
        'check-failed',
        'check-failed',
        `:x: ${model} ${day}: retraining check ${event.checkId} failed: ${event.error}`,
        { checkId: event.checkId, error: event.error },
      );
    case 'promoted':
      return alert(
        model,
        day,
        'promoted',
        `promoted-v${event.version}`,
        `:trophy: ${model} ${day}: v${event.version} promoted to champion${event.previousVersion !== undefined ? ` (was v${event.previousVersion})` : ''} by ${event.checkId}`,
        { version: event.version, previousVersion: event.previousVersion ?? null, checkId: event.checkId },
      );
    case 'deferred':
      return alert(
        model,
        day,
        'deferred',
        `deferred${event.version !== undefined ? `-v${event.version}` : ''}`,
        `:hourglass: ${model} ${day}: challenger${event.version !== undefined ? ` v${event.version}` : ''} not promoted yet: ${event.reason}`,
        { version: event.version ?? null, reason: event.reason, checkId: event.checkId },
      );
  }
}
