import type { Logger } from 'pino';
import { CHAMPION_ALIAS } from '../registry/champion';
import type { ModelRegistry } from '../registry/model-registry';
import type { LoadedModel } from './loaded-model';
import type { ModelHolder } from './model-holder';

export interface ChampionWatcherOptions {
  registry: ModelRegistry;
  holder: ModelHolder;
  load: (version: number) => Promise<LoadedModel>;
  /** Between two polls of the alias. */
  pollMs: number;
  log: Logger;
  /** Called after each swap (metrics). */
  onSwap?: (from: number | undefined, to: number) => void;
}

/**
 * Follows the champion alias. Alias entries are numbered without gaps and never rewritten, so "has it moved?"
 * is one conditional read of the next entry's key: a 404 while nothing changed, the new entry once it has.
 * On a move the new version is loaded first and swapped in afterwards, so requests never wait for a load.
 */
export class ChampionWatcher {
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #polling: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChampionWatcherOptions) {}

  /** The alias entry the loaded champion came from (0 before the first champion). */
  get seq(): number {
    return this.#seq;
  }

  /** Loads the current champion (if any), then polls until stop(). */
  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  /** One poll now: probes the next entries and swaps to the newest one's version. */
  poll(): Promise<void> {
    this.#polling = this.#polling.then(() => this.pollOnce());
    return this.#polling;
  }

  /** Stops polling; waits for a poll in flight at most `graceMs` (a paused store must not hold a shutdown). */
  async stop(graceMs = 2_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#polling, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  private schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.options.pollMs);
    this.#timer.unref();
  }

  private async pollOnce(): Promise<void> {
    const { registry, holder, log } = this.options;
    try {
      let latest;
      if (this.#seq === 0) {
        latest = await registry.getAlias(holder.modelName, CHAMPION_ALIAS);
      } else {
        for (;;) {
          const next = await registry.getAliasEntry(
            holder.modelName,
            CHAMPION_ALIAS,
            (latest?.seq ?? this.#seq) + 1,
          );
          if (!next) break;
          latest = next;
        }
      }
      holder.unavailable = undefined;
      if (!latest || this.#stopped) return;
      const current = holder.champion;
      if (current?.version !== latest.version) {
        const model = await this.options.load(latest.version);
        if (this.#stopped) {
          model.free();
          return;
        }
        holder.swapChampion(model);
        log.info(
          { from: current?.version, to: latest.version, seq: latest.seq, reason: latest.reason },
          'champion swapped',
        );
        this.options.onSwap?.(current?.version, latest.version);
      }
      this.#seq = latest.seq;
    } catch (err) {
      if (!holder.champion) {
        holder.unavailable = `the artifact store is unreachable (${(err as Error).message}): no champion of model "${holder.modelName}" could be loaded yet; retrying every ${this.options.pollMs} ms`;
      }
      log.warn({ err }, 'champion poll failed; retrying at the next poll');
    }
  }
}
