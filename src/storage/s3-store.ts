import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  BlobChangedError,
  BlobInfo,
  BlobNotFoundError,
  BlobRead,
  BlobStore,
  StoreLocationError,
} from './blob-store';

/** Only what differs from the SDK's own resolution (credentials, profile and region come from env/profile). */
export interface S3Options {
  /** e.g. `http://127.0.0.1:5055` for moto or s3rver. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`); needed by most local S3 servers. */
  forcePathStyle?: boolean;
  region?: string;
  /** MaxKeys per ListObjectsV2 page; unset means the server's default (1000 on AWS). Small values suit tests. */
  listPageSize?: number;
  /**
   * Milliseconds a request may go without a byte from the store before it fails as a retryable timeout
   * (default 30 s). Without it a store that accepts connections but never answers (a hung or paused
   * server) would hold every attempt until its activity's own timeout.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 5_000;

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket root. */
  prefix: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: "${uri}" (expected s3://bucket/prefix)`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix };
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = err.$metadata as { httpStatusCode?: number } | undefined;
  return metadata?.httpStatusCode;
}

/**
 * A 404. HEAD responses have no body, so a missing key and a missing bucket look alike there: callers
 * check the bucket (`assertBucket`) before reporting "no object".
 */
function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404;
}

function stripQuotes(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly listPageSize: number | undefined;

  constructor(
    readonly uri: string,
    options: S3Options = {},
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
    const config: S3ClientConfig = {};
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
    if (options.region !== undefined) config.region = options.region;
    config.requestHandler = {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      // Otherwise the handler only logs a warning and the request keeps waiting.
      throwOnRequestTimeout: true,
    };
    // The SDK's documented switch (aws/aws-sdk-js-v3#7983) for its 7-line notice that releases after
    // January 2027 need Node >= 22; the README says so once. An explicit value is left alone.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client(config);
    this.listPageSize = options.listPageSize;
  }

  async get(key: string): Promise<Buffer> {
    const Key = this.fullKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!out.Body) throw new Error('response has no body');
      const bytes = await out.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (isNotFound(err)) {
        await this.assertBucket();
        throw new BlobNotFoundError(this.uri, key);
      }
      throw this.wrap('GetObject', Key, err);
    }
  }

  async read(key: string, options: { ifMatch?: string } = {}): Promise<BlobRead | undefined> {
    const Key = this.fullKey(key);
    const IfMatch = options.ifMatch === undefined ? undefined : `"${options.ifMatch}"`;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, IfMatch }));
      if (!out.Body) throw new Error('response has no body');
      const bytes = await out.Body.transformToByteArray();
      return {
        bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        etag: stripQuotes(out.ETag),
      };
    } catch (err) {
      if (options.ifMatch !== undefined && httpStatus(err) === 412) {
        throw new BlobChangedError(this.uri, key, options.ifMatch);
      }
      if (isNotFound(err)) {
        await this.assertBucket();
        return undefined;
      }
      throw this.wrap('GetObject', Key, err);
    }
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if (err instanceof BlobNotFoundError) return undefined;
      throw err;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const Key = this.fullKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: stripQuotes(out.ETag),
        lastModified: (out.LastModified ?? new Date(0)).toISOString(),
      };
    } catch (err) {
      if (!isNotFound(err)) throw this.wrap('HeadObject', Key, err);
      await this.assertBucket();
      return undefined;
    }
  }

  async put(key: string, body: Buffer | string): Promise<BlobInfo> {
    const Key = this.fullKey(key);
    const data = Buffer.from(body);
    try {
      const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: data }));
      // PutObject returns no Last-Modified; the request time is close enough and saves a HEAD.
      return { key, size: data.length, etag: stripQuotes(out.ETag), lastModified: new Date().toISOString() };
    } catch (err) {
      throw this.wrap('PutObject', Key, err);
    }
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const Key = this.fullKey(key);
    const data = Buffer.from(body);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: data, IfNoneMatch: '*' }),
        );
        return true;
      } catch (err) {
        const name = errorName(err);
        const status = httpStatus(err);
        if (name === 'PreconditionFailed' || status === 412) return false;
        // 409 means a concurrent conditional write to the key was in flight; S3 asks the caller to retry.
        if ((name === 'ConditionalRequestConflict' || status === 409) && attempt === 1) continue;
        throw this.wrap('PutObject (If-None-Match: *)', Key, err);
      }
    }
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    const Prefix = this.fullKey(prefix, true);
    const strip = this.prefix === '' ? 0 : this.prefix.length + 1;
    const infos: BlobInfo[] = [];
    let ContinuationToken: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix,
            ContinuationToken,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (err) {
        throw this.wrap('ListObjectsV2', Prefix, err);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        infos.push({
          key: object.Key.slice(strip),
          size: object.Size ?? 0,
          etag: stripQuotes(object.ETag),
          lastModified: (object.LastModified ?? new Date(0)).toISOString(),
        });
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return infos.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      throw this.wrap('DeleteObject', Key, err);
    }
  }

  /** Releases the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }

  private fullKey(key: string, allowEmpty = false): string {
    if ((!allowEmpty && key === '') || key.startsWith('/')) {
      throw new Error(`invalid key "${key}" for ${this.uri}`);
    }
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  private bucketChecked = false;

  /** Throws StoreLocationError when the bucket does not exist; checked once per store. */
  private async assertBucket(): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (errorName(err) === 'NoSuchBucket' || isNotFound(err)) throw this.missingBucket(err);
      throw this.wrap('HeadBucket', '', err);
    }
    this.bucketChecked = true;
  }

  private missingBucket(cause: unknown): StoreLocationError {
    return new StoreLocationError(`bucket "${this.bucket}" does not exist (${this.uri})`, { cause });
  }

  private wrap(operation: string, fullKey: string, err: unknown): Error {
    if (errorName(err) === 'NoSuchBucket') return this.missingBucket(err);
    const name = errorName(err) ?? 'Error';
    const message = err instanceof Error ? err.message : String(err);
    return new Error(`S3 ${operation} s3://${this.bucket}/${fullKey} failed: ${name}: ${message}`, {
      cause: err,
    });
  }
}
