import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BlobChangedError, BlobInfo, BlobNotFoundError, BlobRead, BlobStore } from './blob-store';

/** Temp files live next to their target (so rename/link stay on one file system) and are hidden from list(). */
const TEMP_PREFIX = '.~blob-';
const TEMP_SUFFIX = '.tmp';
const HEAD_BATCH = 64;

function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

/** `file:///abs/dir` → `/abs/dir`; `file://data/sample` → `<cwd>/data/sample`. */
export function fileUriToRoot(uri: string): string {
  if (!uri.startsWith('file://')) throw new Error(`not a file URI: "${uri}"`);
  const rest = decodeURIComponent(uri.slice('file://'.length));
  if (rest === '') throw new Error(`file URI "${uri}" names no directory`);
  return path.resolve(process.cwd(), rest);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** Reading a key that is absent, is a directory, or sits below a plain file all mean "no such object". */
function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function md5(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

interface EtagCacheEntry {
  ino: bigint;
  mtimeNs: bigint;
  size: bigint;
  etag: string;
}

export class FileBlobStore implements BlobStore {
  readonly root: string;
  private readonly etags = new Map<string, EtagCacheEntry>();

  constructor(readonly uri: string) {
    this.root = fileUriToRoot(uri);
  }

  async get(key: string): Promise<Buffer> {
    const body = await this.tryGet(key);
    if (body === undefined) throw new BlobNotFoundError(this.uri, key);
    return body;
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    const file = this.pathOf(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.wrap('read', key, err);
    }
  }

  async read(key: string, options: { ifMatch?: string } = {}): Promise<BlobRead | undefined> {
    const bytes = await this.tryGet(key);
    if (bytes === undefined) return undefined;
    const etag = md5(bytes);
    if (options.ifMatch !== undefined && options.ifMatch !== etag) {
      throw new BlobChangedError(this.uri, key, options.ifMatch);
    }
    return { bytes, etag };
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const file = this.pathOf(key);
    try {
      const stat = await fs.stat(file, { bigint: true });
      if (!stat.isFile()) return undefined;
      // ino is part of the cache key because put() replaces files by rename: a new inode even if mtime and size match.
      const cached = this.etags.get(file);
      let etag: string;
      if (cached && cached.ino === stat.ino && cached.mtimeNs === stat.mtimeNs && cached.size === stat.size) {
        etag = cached.etag;
      } else {
        etag = md5(await fs.readFile(file));
        this.etags.set(file, { ino: stat.ino, mtimeNs: stat.mtimeNs, size: stat.size, etag });
      }
      return { key, size: Number(stat.size), etag, lastModified: stat.mtime.toISOString() };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.wrap('stat', key, err);
    }
  }

  async put(key: string, body: Buffer | string): Promise<BlobInfo> {
    const target = this.pathOf(key);
    const data = Buffer.from(body);
    try {
      const temp = await this.writeTemp(target, data);
      let stat;
      try {
        // Stat the temp file: rename keeps the inode and mtime, and the target may already be replaced again.
        stat = await fs.stat(temp);
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true });
        throw err;
      }
      return { key, size: data.length, etag: md5(data), lastModified: stat.mtime.toISOString() };
    } catch (err) {
      throw this.wrap('write', key, err);
    }
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const target = this.pathOf(key);
    try {
      const temp = await this.writeTemp(target, Buffer.from(body));
      try {
        // link(2) fails with EEXIST if the target exists, and otherwise publishes the complete file in one step.
        await fs.link(temp, target);
        return true;
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') return false;
        throw err;
      } finally {
        await fs.rm(temp, { force: true });
      }
    } catch (err) {
      throw this.wrap('create', key, err);
    }
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    // Walk only the deepest directory the prefix fully names; the rest of the prefix filters names.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey === '' ? this.root : this.pathOf(dirKey);
    const keys: string[] = [];
    await this.walk(start, dirKey, prefix, keys);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const infos: BlobInfo[] = [];
    // Bounded batches: one head() opens a file, and a large tree would otherwise run out of descriptors.
    for (let i = 0; i < keys.length; i += HEAD_BATCH) {
      const batch = await Promise.all(keys.slice(i, i + HEAD_BATCH).map((key) => this.head(key)));
      // A file deleted between the walk and its head() is simply no longer listed.
      for (const info of batch) if (info) infos.push(info);
    }
    return infos;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fs.rm(file, { force: true });
    } catch (err) {
      throw this.wrap('delete', key, err);
    }
  }

  private async walk(dir: string, dirKey: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw new Error(`cannot list ${dir} in ${this.uri}: ${(err as Error).message}`, { cause: err });
    }
    await Promise.all(
      entries.map(async (entry) => {
        if (isTempName(entry.name)) return;
        const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
        if (entry.isDirectory()) {
          // Descend only where some key below could still match the prefix.
          const asDir = `${key}/`;
          if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) {
            await this.walk(path.join(dir, entry.name), key, prefix, out);
          }
        } else if (
          key.startsWith(prefix) &&
          (entry.isFile() || (entry.isSymbolicLink() && (await isFileTarget(path.join(dir, entry.name)))))
        ) {
          // Symbolic links to files count (e.g. a data folder of links to a shared data set).
          out.push(key);
        }
      }),
    );
  }

  private async writeTemp(target: string, data: Buffer): Promise<string> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(
      path.dirname(target),
      `${TEMP_PREFIX}${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`,
    );
    await fs.writeFile(temp, data, { flag: 'wx' });
    return temp;
  }

  /** Maps a key to its path, rejecting anything that could leave the root or collide with temp files. */
  private pathOf(key: string): string {
    const segments = key.split('/');
    const bad =
      key === '' ||
      key.includes('\\') ||
      key.includes('\0') ||
      segments.some((s) => s === '' || s === '.' || s === '..' || isTempName(s));
    if (bad) throw new Error(`invalid key "${key}" for ${this.uri}`);
    return path.join(this.root, ...segments);
  }

  private wrap(action: string, key: string, err: unknown): Error {
    return new Error(`cannot ${action} ${key} in ${this.uri}: ${(err as Error).message}`, { cause: err });
  }
}

async function isFileTarget(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
