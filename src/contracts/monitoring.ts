import type { CheckEvent } from './alerts';
import type { DeliveryOutcome } from './alerts';
import type { SchemaInput } from './dataset';

export interface MonitorDaysInput {
  modelName: string;
  dataUri: string;
  filePrefix: string;
  schema?: SchemaInput;
  /** Local days (`YYYY-MM-DD`) to compute a record for. */
  days: string[];
  psiThreshold?: number;
  /** What the retraining check saw that the records do not hold (decay, a failure, a promotion): alerted on `days[0]`. */
  events?: CheckEvent[];
  /** Overrides the worker's ALERT_WEBHOOK_URL. */
  alertWebhookUrl?: string;
  /** Alert on drift and log loss (default true; a backfill of old days passes false). */
  alertOnRecords?: boolean;
}

export interface MonitorDaysResult {
  /** Undefined when there is no champion (or no profile) to compare with: then no record is written. */
  championVersion?: number;
  skipped?: string;
  records: {
    day: string;
    key: string;
    rows: number;
    served: number;
    worst?: { column: string; psi: number; ratio: number };
    drifted: string[];
  }[];
  database: 'off' | 'written' | { failed: string };
  alerts: DeliveryOutcome[];
}

export interface MonitorBackfillInput extends Omit<MonitorDaysInput, 'days' | 'events' | 'alertOnRecords'> {
  /** First and last local day, inclusive (`YYYY-MM-DD`). */
  from: string;
  to: string;
  alertOnRecords?: boolean;
}

export interface MonitorBackfillResult {
  days: number;
  records: number;
  chunks: number;
  championVersion?: number;
  database: MonitorDaysResult['database'];
}
