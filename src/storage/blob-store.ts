/** A minimal object store: the one interface both backends (S3 and local files) implement. */
export interface BlobInfo {
  /** Key relative to the store's root (no leading slash). */
  key: string;
  size: number;
  /** S3 ETag (quotes stripped) or, for files, a content hash. Changes whenever the content changes. */
  etag: string;
  /** ISO-8601. */
  lastModified: string;
}

/** An object's bytes and the ETag of those bytes. */
export interface BlobRead {
  bytes: Buffer;
  etag: string;
}

export interface BlobStore {
  /** The URI this store was opened with, e.g. `s3://bucket/prefix` or `file:///abs/dir`. */
  readonly uri: string;
  /** Reads an object; throws BlobNotFoundError when it does not exist. */
  get(key: string): Promise<Buffer>;
  /** Reads an object, or returns undefined when it does not exist. */
  tryGet(key: string): Promise<Buffer | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  /**
   * Reads an object with the ETag of exactly the bytes read, in one request (no HEAD); undefined when it does
   * not exist. With `ifMatch`, reads it only while its ETag is still that one, else throws BlobChangedError
   * (S3 `If-Match`).
   */
  read(key: string, options?: { ifMatch?: string }): Promise<BlobRead | undefined>;
  put(key: string, body: Buffer | string): Promise<BlobInfo>;
  /**
   * Creates the object only if no object exists at `key` (atomic: S3 `If-None-Match: *`, file `O_EXCL`).
   * Returns false, writing nothing, when the key already exists.
   */
  putIfAbsent(key: string, body: Buffer | string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (pagination handled), sorted by key. */
  list(prefix?: string): Promise<BlobInfo[]>;
  delete(key: string): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(
    readonly uri: string,
    readonly key: string,
  ) {
    super(`object not found: ${key} in ${uri}`);
    this.name = 'BlobNotFoundError';
  }
}

/** The store itself cannot be used (a bucket that does not exist, an unsupported URI): no retry can help. */
export class StoreLocationError extends Error {
  override name = 'StoreLocationError';
}

/** A conditional read found another version of the object than the ETag it was conditioned on. */
export class BlobChangedError extends Error {
  override name = 'BlobChangedError';
  constructor(
    readonly uri: string,
    readonly key: string,
    readonly expectedEtag: string,
  ) {
    super(`${key} in ${uri} changed: it no longer has ETag ${expectedEtag}`);
  }
}
