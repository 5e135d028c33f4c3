import { BlobStore, StoreLocationError } from './blob-store';
import { FileBlobStore } from './file-store';
import { S3BlobStore, S3Options } from './s3-store';

export type { S3Options } from './s3-store';

/** Opens the backend named by the URI's scheme: `s3://bucket/prefix` or `file://dir`. */
export function openBlobStore(uri: string, s3?: S3Options): BlobStore {
  if (uri.startsWith('s3://')) return new S3BlobStore(uri, s3);
  if (uri.startsWith('file://')) return new FileBlobStore(uri);
  throw new StoreLocationError(`unsupported storage URI "${uri}": use s3://bucket/prefix or file://dir`);
}

/** Joins key parts with single '/' separators: joinKey('a/', '/b', '', 'c') === 'a/b/c'. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
}
