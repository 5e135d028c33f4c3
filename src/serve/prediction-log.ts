import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { TrafficRow } from '../contracts/domain';
import type { BlobStore } from '../storage/blob-store';
import { droppedRowsKey, predictionLogKey } from '../monitoring/prediction-log-keys';

/** One served row as logged: the input fields (readable again by parsePredictionRows), the answer and when. */
export interface LoggedPrediction extends Pick<
  TrafficRow,
  'holiday' | 'temp' | 'rain_1h' | 'snow_1h' | 'clouds_all' | 'weather_main'
> {
  /** `YYYY-MM-DD HH:MM:SS`, local. */
  date_time: string;
  prediction: number;
  model: string;
  version: number;
  loggedAt: string;
  requestId: string;
}

/** Why rows could not be kept: the spill directory is full or unwritable, or the buffer overflowed meanwhile. */
export interface DroppedRows {
  rows: number;
  reason: string;
}

export interface PredictionLogOptions {
  store: BlobStore;
  /** Seal a batch when this many rows are buffered. */
  maxRows: number;
  /** Seal a batch at least this often while rows are buffered. */
  flushMs: number;
  log: Logger;
  /**
   * Rows held in memory (open and sealed batches): sealed batches beyond `bufferRows - maxRows` go to
   * `spillDir`, leaving room for the open batch. Default 10 × maxRows. Hard cap: this plus one batch (the one
   * being written to disk); rows beyond it are dropped (counted, onDropped).
   */
  bufferRows?: number;
  /** Directory for batches waiting for the store; without one, batches beyond the buffer are dropped. */
  spillDir?: string;
  /** Bytes the spill directory may hold (default 1 GiB). */
  spillBytes?: number;
  /** Between retries of a failed write: doubles from this up to 30 s (default 1 s). */
  retryMs?: number;
  onWritten?: (rows: number) => void;
  onFailure?: () => void;
  /** Rows that could not be kept: counted in a metric and the alert hook (never dropped silently). */
  onDropped?: (dropped: DroppedRows) => void;
  /** After every change of what is held: rows in memory, batches and bytes on disk (gauges). */
  onHeld?: (held: { memoryRows: number; spilledBatches: number; spilledBytes: number }) => void;
}

/** A sealed batch: its key is chosen once, before its first write, so every retry rewrites the same object. */
interface Batch {
  key: string;
  /** When and in which order this process sealed it (spill files sort by these). */
  sealedAt: number;
  seq: number;
  rows: number;
  /** Rows per model and day of their hour (`date_time`), for the dropped-rows record; absent for a batch spilled by an earlier run. */
  days?: DayCount[];
  /** In memory until shipped or spilled. */
  body?: string;
  /** On disk instead. */
  file?: string;
  bytes: number;
}

interface DayCount {
  model: string;
  day: string;
  count: number;
}

const MAX_RETRY_MS = 30_000;
const SPILL_SUFFIX = '.jsonl';

/**
 * Served rows appended to the artifact store in JSON-lines batches under `predictions/<model>/<day>/`,
 * exactly once and in a bounded amount of memory:
 * - a batch is sealed (its key fixed) before its first write, and retried under that key until it is stored,
 *   so a write that timed out but landed is rewritten, not duplicated;
 * - batches ship one at a time in the order they were sealed;
 * - while the store is away, batches beyond `bufferRows` go to `spillDir` (bounded by `spillBytes`) and ship
 *   from there, in order, when it returns (also after a restart); what cannot be kept is counted and reported.
 * The request path only pushes to an array; serialising and writing happen off it.
 */
export class PredictionLog {
  readonly #instance = randomUUID().slice(0, 8);
  #open: LoggedPrediction[] = [];
  readonly #queue: Batch[] = [];
  #memoryRows = 0;
  #spilledBytes = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #shipping: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;
  #dropped = 0;
  #spillWrites: Promise<void> = Promise.resolve();
  readonly #bufferRows: number;
  /** Dropped rows per model and day of their hour, not yet recorded in the store (monitoring reads them). */
  readonly #droppedByDay = new Map<string, DayCount>();
  readonly #droppedRecorded = new Map<string, number>();

  constructor(private readonly options: PredictionLogOptions) {
    this.#bufferRows = Math.max(options.bufferRows ?? 10 * options.maxRows, options.maxRows);
  }

  /** Rows that could not be kept (spill full or off). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Rows held in memory now (open batch and sealed batches not yet stored or spilled). */
  get memoryRows(): number {
    return this.#memoryRows;
  }

  /** Sealed batches not yet stored (in memory or on disk). */
  get pendingBatches(): number {
    return this.#queue.length;
  }

  /** Ships what a previous run left in the spill directory, first. */
  async start(): Promise<void> {
    const dir = this.options.spillDir;
    if (!dir) return;
    await fs.mkdir(dir, { recursive: true });
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(SPILL_SUFFIX)).sort();
    const left: Batch[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      const { size } = await fs.stat(file);
      const key = decodeURIComponent(name.slice(name.indexOf('~') + 1, -SPILL_SUFFIX.length));
      left.push({ key, rows: -1, file, bytes: size, sealedAt: 0, seq: 0 });
      this.#spilledBytes += size;
    }
    if (left.length > 0) {
      this.options.log.info(
        { batches: left.length, bytes: this.#spilledBytes, dir },
        'prediction log: shipping batches spilled by an earlier run',
      );
      this.#queue.unshift(...left);
      this.held();
      this.kick();
    }
  }

  append(
    meta: { model: string; version: number; requestId: string; at: string },
    rows: readonly TrafficRow[],
    predictions: readonly number[],
  ): void {
    if (this.#memoryRows + rows.length > this.#bufferRows + this.options.maxRows) {
      this.drop(
        rows.length,
        'the prediction log buffer is full and batches cannot be spilled fast enough',
        dayCounts(
          meta.model,
          rows.map((r) => r.date_time.text),
        ),
      );
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      this.#open.push({
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
    this.#memoryRows += rows.length;
    if (this.#open.length >= this.options.maxRows) this.seal();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.seal(), this.options.flushMs);
      this.#timer.unref();
    }
  }

  /** Resolves when the batches being moved to the spill directory are there. */
  spillsWritten(): Promise<void> {
    return this.#spillWrites;
  }

  /** Seals what is buffered and waits until every batch sealed so far is stored. */
  async flush(): Promise<void> {
    this.seal();
    await this.#spillWrites;
    while (this.#queue.length > 0 && !this.#stopped) {
      this.kick(true);
      await this.#shipping;
    }
    if (this.#droppedByDay.size > 0 && !this.#stopped) await this.recordDropped();
  }

  /**
   * Seals what is buffered and ships for at most `graceMs`; whatever is still unstored then is written to
   * the spill directory (shipped by the next start), or counted as dropped when there is none.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.seal();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([this.flush().then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    this.#stopped = true;
    this.#wake?.();
    if (outcome === 'done') return;
    await this.#spillWrites;
    for (const batch of this.#queue.splice(0)) {
      if (batch.file) continue; // already on disk
      if (!(await this.spill(batch)))
        this.drop(batch.rows, 'the store did not answer before shutdown', batch.days);
    }
  }

  private seal(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#open;
    if (rows.length === 0) return;
    this.#open = [];
    const groups = new Map<string, LoggedPrediction[]>();
    for (const row of rows) {
      const group = `${row.model}\u0000${row.loggedAt.slice(0, 10)}`;
      let list = groups.get(group);
      if (!list) groups.set(group, (list = []));
      list.push(row);
    }
    for (const group of groups.values()) {
      const first = group[0];
      const seq = this.#seq++;
      const key = predictionLogKey(
        first.model,
        first.loggedAt,
        `${this.#instance}-${String(seq).padStart(6, '0')}`,
      );
      let body = '';
      for (const r of group) body += JSON.stringify(r) + '\n';
      const batch: Batch = {
        key,
        rows: group.length,
        body,
        bytes: Buffer.byteLength(body),
        sealedAt: Date.now(),
        seq,
        days: dayCounts(
          first.model,
          group.map((r) => r.date_time),
        ),
      };
      this.#queue.push(batch);
      // Sealed rows kept in memory leave room for the open batch within the buffer, so rows arriving while
      // this batch is written to disk fit under the hard cap instead of being dropped.
      if (this.#memoryRows > this.#bufferRows - this.options.maxRows && this.#queue.length > 1)
        this.spillLater(batch);
    }
    this.held();
    this.kick();
  }

  /** Moves a waiting batch to disk (its rows leave memory once written). */
  private spillLater(batch: Batch): void {
    this.#spillWrites = this.#spillWrites.then(async () => {
      if (batch.body === undefined || !this.#queue.includes(batch)) return;
      if (await this.spill(batch)) return;
      this.#queue.splice(this.#queue.indexOf(batch), 1);
      this.#memoryRows -= batch.rows;
      this.drop(
        batch.rows,
        this.options.spillDir ? 'the spill directory is full' : 'no spill directory',
        batch.days,
      );
      this.held();
    });
  }

  /** Writes a batch's body to the spill directory; false when there is none, it is full or unwritable. */
  private async spill(batch: Batch): Promise<boolean> {
    const dir = this.options.spillDir;
    const body = batch.body;
    if (!dir || body === undefined) return false;
    if (this.#spilledBytes + batch.bytes > (this.options.spillBytes ?? 1024 ** 3)) return false;
    // Names sort in sealing order (sealing time, then the batch's sequence number); the key travels in the name.
    const name = `${String(batch.sealedAt).padStart(15, '0')}-${String(batch.seq).padStart(9, '0')}~${encodeURIComponent(batch.key)}${SPILL_SUFFIX}`;
    const file = path.join(dir, name);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(`${file}.tmp`, body);
      await fs.rename(`${file}.tmp`, file);
    } catch (err) {
      this.options.log.error({ err, dir }, 'prediction log: cannot write to the spill directory');
      return false;
    }
    if (!this.#queue.includes(batch) && !this.#stopped) {
      // Stored while it was being written to disk.
      await fs.rm(file, { force: true });
      return true;
    }
    batch.file = file;
    batch.body = undefined;
    this.#spilledBytes += batch.bytes;
    this.#memoryRows -= batch.rows;
    this.held();
    return true;
  }

  private drop(rows: number, reason: string, days: readonly DayCount[] = []): void {
    this.#dropped += rows;
    for (const d of days) {
      const key = `${d.model}\u0000${d.day}`;
      const entry = this.#droppedByDay.get(key);
      if (entry) entry.count += d.count;
      else this.#droppedByDay.set(key, { ...d });
    }
    this.options.log.error({ rows, total: this.#dropped, reason }, 'prediction log: rows dropped');
    this.options.onDropped?.({ rows, reason });
  }

  private held(): void {
    this.options.onHeld?.({
      memoryRows: this.#memoryRows,
      spilledBatches: this.#queue.filter((b) => b.file).length,
      spilledBytes: this.#spilledBytes,
    });
  }

  /** Starts the shipping loop unless it runs; `now` also cuts a retry's wait short. */
  private kick(now = false): void {
    if (now) this.#wake?.();
    this.#shipping ??= this.ship().finally(() => (this.#shipping = undefined));
  }

  private async ship(): Promise<void> {
    let delay = this.options.retryMs ?? 1000;
    let failing = false;
    while (this.#queue.length > 0 && !this.#stopped) {
      const batch = this.#queue[0];
      let body: string | Buffer;
      try {
        body = batch.body ?? (await fs.readFile(batch.file as string));
      } catch (err) {
        // The spilled file is gone or unreadable: its rows are lost; say so and go on with the rest.
        this.#queue.shift();
        this.#spilledBytes -= batch.bytes;
        this.options.log.error({ err, file: batch.file }, 'prediction log: a spilled batch cannot be read');
        this.drop(Math.max(batch.rows, 0), `the spilled batch ${batch.file} cannot be read`, batch.days);
        this.held();
        continue;
      }
      try {
        if (batch.rows < 0) batch.rows = countLines(body);
        await this.options.store.put(batch.key, body);
      } catch (err) {
        this.options.onFailure?.();
        if (!failing)
          this.options.log.error(
            { err, key: batch.key, pending: this.#queue.length },
            'prediction log write failed; retrying the same batch under the same key',
          );
        failing = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          timer.unref();
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        delay = Math.min(delay * 2, MAX_RETRY_MS);
        continue;
      }
      if (failing) this.options.log.info({ key: batch.key }, 'prediction log writes succeed again');
      failing = false;
      delay = this.options.retryMs ?? 1000;
      if (this.#queue[0] === batch) this.#queue.shift();
      if (batch.file) {
        await fs.rm(batch.file, { force: true });
        this.#spilledBytes -= batch.bytes;
      } else {
        this.#memoryRows -= batch.rows;
      }
      this.held();
      if (batch.rows > 0) this.options.onWritten?.(batch.rows);
      if (this.#droppedByDay.size > 0) await this.recordDropped();
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
      } catch {
        return;
      }
      this.#droppedRecorded.set(key, total);
      this.#droppedByDay.delete(key);
    }
  }
}

function dayCounts(model: string, dateTimes: readonly string[]): DayCount[] {
  const byDay = new Map<string, number>();
  for (const dateTime of dateTimes) {
    const day = dateTime.slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0) + 1);
  }
  return [...byDay].map(([day, count]) => ({ model, day, count }));
}

function countLines(body: string | Buffer): number {
  let n = 0;
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) n++;
  return n;
}
