import { CHAMPION_ALIAS } from '../registry/champion';
import type { AliasState, ModelRegistry } from '../registry/model-registry';

/** The registry could not be read in time and nothing is cached yet: 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export interface ModelsSnapshot {
  champion: AliasState | null;
  versions: Array<Record<string, unknown>>;
  /** When the registry was read (ISO-8601). */
  readAt: string;
}

/**
 * What `GET /models` lists, read from the registry at most once per `ttlMs` and in the background: a request
 * gets the last snapshot at once, so a slow or paused store never holds it. Only before the first successful
 * read does a request wait, and then at most `waitMs`.
 */
export class ModelsListing {
  #snapshot: ModelsSnapshot | undefined;
  #refreshing: Promise<ModelsSnapshot> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly modelName: string,
    private readonly ttlMs: number,
    private readonly waitMs = 2_000,
  ) {}

  async get(): Promise<ModelsSnapshot> {
    const snapshot = this.#snapshot;
    const stale = !snapshot || Date.now() - Date.parse(snapshot.readAt) > this.ttlMs;
    if (stale && !this.#refreshing) {
      this.#refreshing = this.read().finally(() => (this.#refreshing = undefined));
      this.#refreshing.catch(() => undefined); // a background refresh's failure leaves the last snapshot
    }
    if (snapshot) return snapshot;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreUnavailableError(
              `the artifact store did not answer within ${this.waitMs} ms: the model registry cannot be listed now`,
            ),
          ),
        this.waitMs,
      );
    });
    try {
      return await Promise.race([this.#refreshing as Promise<ModelsSnapshot>, timeout]);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`the model registry cannot be read: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(): Promise<ModelsSnapshot> {
    const readAt = new Date().toISOString();
    const [versions, champion] = await Promise.all([
      this.registry.listVersions(this.modelName),
      this.registry.getAlias(this.modelName, CHAMPION_ALIAS),
    ]);
    const snapshot: ModelsSnapshot = {
      champion: champion ?? null,
      versions: versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        engine: v.engine,
        validationYear: v.validationYear,
        metrics: v.metrics,
        trainingWorkflowId: v.trainingWorkflowId,
      })),
      readAt,
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}
