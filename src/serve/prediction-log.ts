import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TrafficRow } from '../ml/types';
import type { BlobStore } from '../storage/blob-store';
import { droppedRowsKey, predictionLogKey } from '../monitoring/prediction-log-keys';

/** One served row as logged: the input fields (readable again by parsePredictionRows), the answer and when. */
export interface LoggedPrediction {
  holiday: string;
  temp: number;
  rain_1h: number;
  snow_1h: number;
  clouds_all: number;
  weather_main: string;
  date_time: string;
  prediction: number;
  model: string;
  version: number;
  loggedAt: string;
  requestId: string;
}

export interface PredictionLogOptions {
  store: BlobStore;
  /** Flush when this many rows are buffered. */
  maxRows: number;
  /** Flush at least this often while rows are buffered. */
  flushMs: number;
  log: Logger;
  /** Beyond this many unflushed rows (artifact store down for long) the oldest are dropped, counted and logged. */
  maxBufferedRows?: number;
  onWritten?: (rows: number) => void;
  onFailure?: () => void;
}

/**
 * Served rows appended to the artifact store in JSON-lines batches under `predictions/<model>/<day>/`.
 * The request path only pushes to an array; serialising and writing happen in flushes off the request.
 */
export class PredictionLog {
  readonly #instance = randomUUID().slice(0, 8);
  #buffer: LoggedPrediction[] = [];
  #batch = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;
  /** Dropped rows per model and day of their hour, not yet recorded in the store (monitoring reads them). */
  #droppedByDay = new Map<string, { model: string; day: string; count: number }>();
  #droppedRecorded = new Map<string, number>();

  constructor(private readonly options: PredictionLogOptions) {}

  get dropped(): number {
    return this.#dropped;
  }

  append(
    meta: { model: string; version: number; requestId: string; at: string },
    rows: readonly TrafficRow[],
    predictions: readonly number[],
  ): void {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      this.#buffer.push({
        holiday: r.holiday,
        temp: r.temp,
        rain_1h: r.rain_1h,
        snow_1h: r.snow_1h,
        clouds_all: r.clouds_all,
        weather_main: r.weather_main,
        date_time: r.date_time.text,
        prediction: predictions[i],
        model: meta.model,
        version: meta.version,
        loggedAt: meta.at,
        requestId: meta.requestId,
      });
    }
    if (this.#buffer.length >= this.options.maxRows) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.#timer.unref();
    }
  }

  /** Writes everything buffered so far; flushes run one at a time. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing = this.#flushing.then(() => this.write());
    return this.#flushing;
  }

  private async write(): Promise<void> {
    if (this.#droppedByDay.size > 0) await this.recordDropped();
    const rows = this.#buffer;
    if (rows.length === 0) return;
    this.#buffer = [];
    const groups = new Map<string, LoggedPrediction[]>();
    for (const row of rows) {
      const day = row.loggedAt.slice(0, 10);
      const key = `${row.model}\u0000${day}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(row);
    }
    for (const group of groups.values()) {
      const first = group[0];
      const key = predictionLogKey(
        first.model,
        first.loggedAt,
        `${this.#instance}-${String(this.#batch++).padStart(6, '0')}`,
      );
      try {
        await this.options.store.put(key, group.map((r) => JSON.stringify(r)).join('\n') + '\n');
        this.options.onWritten?.(group.length);
      } catch (err) {
        this.options.onFailure?.();
        this.options.log.error(
          { err, key, rows: group.length },
          'prediction log flush failed; keeping the rows for the next flush',
        );
        this.keep(group);
      }
    }
  }

  /** Records the dropped-row counts in the store (cumulative per instance, model and day); kept on failure. */
  private async recordDropped(): Promise<void> {
    for (const [key, d] of this.#droppedByDay) {
      const total = (this.#droppedRecorded.get(key) ?? 0) + d.count;
      try {
        await this.options.store.put(
          droppedRowsKey(d.model, d.day, this.#instance),
          JSON.stringify({ model: d.model, day: d.day, instance: this.#instance, dropped: total }),
        );
        this.#droppedRecorded.set(key, total);
        this.#droppedByDay.delete(key);
      } catch {
        return;
      }
    }
  }

  private keep(rows: LoggedPrediction[]): void {
    this.#buffer = rows.concat(this.#buffer);
    const max = this.options.maxBufferedRows ?? 100 * this.options.maxRows;
    if (this.#buffer.length > max) {
      const drop = this.#buffer.length - max;
      for (const row of this.#buffer.slice(0, drop)) {
        const day = row.date_time.slice(0, 10);
        const key = `${row.model}\u0000${day}`;
        const entry = this.#droppedByDay.get(key);
        if (entry) entry.count++;
        else this.#droppedByDay.set(key, { model: row.model, day, count: 1 });
      }
      this.#buffer = this.#buffer.slice(drop);
      this.#dropped += drop;
      this.options.log.error(
        { dropped: drop, total: this.#dropped },
        'prediction log over its buffer limit: oldest rows dropped',
      );
    }
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.#timer.unref();
    }
  }
}
