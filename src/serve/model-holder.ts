import type { ModelRegistry } from '../registry/model-registry';
import type { LoadedModel } from './loaded-model';

/** No champion yet (or it is still loading): the service answers 503. */
export class NoModelError extends Error {
  override name = 'NoModelError';
}

/** A version that does not exist (or cannot be loaded): 404. */
export class UnknownVersionError extends Error {
  override name = 'UnknownVersionError';
}

/** Pinned versions (`?version=N`) kept loaded besides the champion; the least recently used goes first. */
const MAX_PINNED = 4;
const EVICTED_FREE_DELAY_MS = 5_000;

/**
 * The models a request can reach. The champion is one reference, replaced in a single assignment: a request
 * reads it once and scores with what it read, so a swap never fails or mixes versions mid-request.
 */
export class ModelHolder {
  #champion: LoadedModel | undefined;
  /** Why no champion can be loaded now (the store is unreachable), set and cleared by the watcher. */
  unavailable: string | undefined;
  readonly #pinned = new Map<number, Promise<LoadedModel>>();

  constructor(
    readonly modelName: string,
    private readonly registry: ModelRegistry,
    private readonly load: (version: number) => Promise<LoadedModel>,
  ) {}

  get champion(): LoadedModel | undefined {
    return this.#champion;
  }

  /**
   * Makes `model` the champion and frees the previous one. Native scoring is synchronous, so no request is
   * inside the old booster once this runs; a pinned request for the old version loads its own copy.
   */
  swapChampion(model: LoadedModel): LoadedModel | undefined {
    const previous = this.#champion;
    this.#champion = model;
    if (previous && previous !== model) previous.free();
    return previous;
  }

  championOrThrow(): LoadedModel {
    if (!this.#champion) {
      if (this.unavailable) throw new NoModelError(this.unavailable);
      throw new NoModelError(
        `no champion of model "${this.modelName}" is loaded yet: train one (npm start, or client train) and the service picks it up`,
      );
    }
    return this.#champion;
  }

  /** The model for `?version=N`: the champion when it is that version, else a cached load. */
  async version(version: number): Promise<LoadedModel> {
    if (this.#champion?.version === version) return this.#champion;
    let entry = this.#pinned.get(version);
    if (entry) {
      this.#pinned.delete(version); // re-inserted below as the most recently used
    } else {
      entry = this.loadPinned(version);
      entry.catch(() => this.#pinned.delete(version));
    }
    this.#pinned.set(version, entry);
    this.evict();
    return entry;
  }

  /** Frees everything; the holder answers 503 afterwards. */
  async close(): Promise<void> {
    this.#champion?.free();
    this.#champion = undefined;
    const pinned = [...this.#pinned.values()];
    this.#pinned.clear();
    for (const result of await Promise.allSettled(pinned))
      if (result.status === 'fulfilled') result.value.free();
  }

  private async loadPinned(version: number): Promise<LoadedModel> {
    const exists = await this.registry.getVersion(this.modelName, version);
    if (!exists) throw new UnknownVersionError(`model "${this.modelName}" has no version ${version}`);
    return this.load(version);
  }

  private evict(): void {
    while (this.#pinned.size > MAX_PINNED) {
      const [oldest, entry] = this.#pinned.entries().next().value as [number, Promise<LoadedModel>];
      this.#pinned.delete(oldest);
      // A request may have the load's promise in hand and not have scored yet: free it a little later.
      setTimeout(() => {
        entry.then((m) => m.free()).catch(() => undefined);
      }, EVICTED_FREE_DELAY_MS).unref();
    }
  }
}
