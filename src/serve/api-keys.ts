import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token check for the service's API keys. Every key and the presented token are hashed to the same
 * length and compared with timingSafeEqual, against every key without stopping at a match, so neither a
 * key's length nor how much of it matched shows in the time taken. The keys themselves are never logged.
 */
export class ApiKeys {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  get size(): number {
    return this.#digests.length;
  }

  /** Whether an `Authorization` header carries one of the keys as `Bearer <key>`. */
  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return false;
    const presented = digest(match[1]);
    let ok = false;
    for (const d of this.#digests) ok = timingSafeEqual(d, presented) || ok;
    return ok;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
