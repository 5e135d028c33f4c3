import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BlobChangedError,
  BlobNotFoundError,
  BlobStore,
  StoreLocationError,
} from '../../src/storage/blob-store';
import { FileBlobStore } from '../../src/storage/file-store';
import { joinKey, openBlobStore } from '../../src/storage/from-uri';
import { S3BlobStore } from '../../src/storage/s3-store';
import { startS3ForTests, TestS3 } from '../support/s3-server';

interface Opened {
  store: BlobStore;
  close(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

interface Capabilities {
  /** PutObject honours If-None-Match and GetObject If-Match (s3rver does neither). */
  conditionalWrites: boolean;
  /** ListObjectsV2 continuation works (s3rver's tokens need DES, absent from Node's OpenSSL 3). */
  pagination: boolean;
  /** How many objects the pagination case writes; S3 stores use a small page size to keep it fast. */
  manyKeys: number;
}

const FULL: Capabilities = { conditionalWrites: true, pagination: true, manyKeys: 1100 };
/** With `listPageSize: S3_PAGE_SIZE`, 45 keys take 5 pages. */
const S3_PAGE_SIZE = 10;

/** The behaviour every BlobStore must have. */
function blobStoreContract(name: string, open: () => Promise<Opened>, can: Capabilities): void {
  describe(`BlobStore contract: ${name}`, function () {
    this.timeout(60_000);
    let opened: Opened;
    let store: BlobStore;

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => {
      await opened?.close();
    });

    it('round-trips bytes, including binary and empty bodies', async () => {
      const binary = Buffer.from([0, 255, 1, 128, 10, 13]);
      await store.put('rt/binary.bin', binary);
      await store.put('rt/empty', '');
      await store.put('rt/text.txt', 'héllo');
      expect((await store.get('rt/binary.bin')).equals(binary)).to.equal(true);
      expect((await store.get('rt/empty')).length).to.equal(0);
      expect((await store.get('rt/text.txt')).toString('utf8')).to.equal('héllo');
      expect((await store.tryGet('rt/text.txt'))?.toString('utf8')).to.equal('héllo');
    });

    it('put returns the same size and etag that head reports', async () => {
      const info = await store.put('meta/a.json', '{"a":1}');
      const head = await store.head('meta/a.json');
      expect(info.key).to.equal('meta/a.json');
      expect(info.size).to.equal(7);
      expect(head).to.include({ key: 'meta/a.json', size: 7, etag: info.etag });
      expect(info.etag).to.match(/^[0-9a-f]{32}$/);
      expect(Number.isNaN(Date.parse(head!.lastModified))).to.equal(false);
    });

    it('etag changes when content changes and matches for equal content', async () => {
      const first = await store.put('etag/x', 'one');
      const second = await store.put('etag/x', 'two');
      const again = await store.put('etag/y', 'one');
      expect(second.etag).not.to.equal(first.etag);
      expect((await store.head('etag/x'))!.etag).to.equal(second.etag);
      expect(again.etag).to.equal(first.etag);
      expect((await store.get('etag/x')).toString()).to.equal('two');
    });

    it('reports missing keys: get throws BlobNotFoundError, tryGet and head return undefined', async () => {
      const err = await rejection(store.get('missing/nothing.json'));
      expect(err).to.be.instanceOf(BlobNotFoundError);
      expect((err as BlobNotFoundError).key).to.equal('missing/nothing.json');
      expect(err.message).to.contain('missing/nothing.json');
      expect(await store.tryGet('missing/nothing.json')).to.equal(undefined);
      expect(await store.head('missing/nothing.json')).to.equal(undefined);
    });

    it('read returns the bytes with the ETag head reports, honours If-Match, and is undefined for a missing key', async () => {
      await store.put('read/a.csv', 'version 1');
      const first = await store.read('read/a.csv');
      expect(first?.bytes.toString()).to.equal('version 1');
      expect(first?.etag).to.equal((await store.head('read/a.csv'))?.etag);
      const same = await store.read('read/a.csv', { ifMatch: first?.etag });
      expect(same?.bytes.toString()).to.equal('version 1');
      await store.put('read/a.csv', 'version 2');
      if (can.conditionalWrites) {
        const err = await rejection(store.read('read/a.csv', { ifMatch: first?.etag }));
        expect(err).to.be.instanceOf(BlobChangedError);
        expect((err as BlobChangedError).key).to.equal('read/a.csv');
      }
      const second = await store.read('read/a.csv');
      expect(second?.bytes.toString()).to.equal('version 2');
      expect(second?.etag).to.not.equal(first?.etag);
      expect(await store.read('read/missing.csv')).to.equal(undefined);
      expect(await store.read('read/missing.csv', { ifMatch: first?.etag })).to.equal(undefined);
    });

    it('treats a "directory" key as missing', async () => {
      await store.put('dirlike/child.txt', 'c');
      expect(await store.tryGet('dirlike')).to.equal(undefined);
      expect(await store.head('dirlike')).to.equal(undefined);
    });

    it('lists recursively, sorted, relative to the root, filtered by a partial prefix', async () => {
      await Promise.all(
        ['ls/b/2.txt', 'ls/a.txt', 'ls/b/1.txt', 'ls/bz.txt', 'ls2/other.txt', 'ls/b/c/deep.txt'].map((k) =>
          store.put(k, k),
        ),
      );
      const all = (await store.list('ls/')).map((i) => i.key);
      expect(all).to.deep.equal(['ls/a.txt', 'ls/b/1.txt', 'ls/b/2.txt', 'ls/b/c/deep.txt', 'ls/bz.txt']);
      expect((await store.list('ls/b')).map((i) => i.key)).to.deep.equal([
        'ls/b/1.txt',
        'ls/b/2.txt',
        'ls/b/c/deep.txt',
        'ls/bz.txt',
      ]);
      expect((await store.list('ls')).map((i) => i.key)).to.include('ls2/other.txt');
      expect(await store.list('no-such-prefix/')).to.deep.equal([]);
      const info = (await store.list('ls/a.txt'))[0];
      expect(info).to.include({ key: 'ls/a.txt', size: 8, etag: (await store.head('ls/a.txt'))!.etag });
    });

    it('list() without a prefix returns every key in sorted order', async () => {
      const keys = (await store.list()).map((i) => i.key);
      expect(keys).to.include.members(['ls/a.txt', 'rt/empty', 'meta/a.json']);
      expect(keys).to.deep.equal([...keys].sort());
      // The S3 setup puts these next to (not under) the store's prefix.
      expect(keys).not.to.include.members(['outside.txt']);
      expect(keys.filter((k) => k.includes('x.txt'))).to.deep.equal([]);
    });

    if (can.pagination) {
      it(`lists ${can.manyKeys} objects (pagination)`, async () => {
        const keys = Array.from({ length: can.manyKeys }, (_, i) => `many/${String(i).padStart(4, '0')}`);
        await inBatches(keys, 100, (key) => store.put(key, 'x'));
        const listed = (await store.list('many/')).map((i) => i.key);
        expect(listed).to.have.length(can.manyKeys);
        expect(listed).to.deep.equal(keys);
      });
    }

    it('deletes objects, and deleting a missing key is not an error', async () => {
      await store.put('del/x', 'x');
      await store.delete('del/x');
      expect(await store.head('del/x')).to.equal(undefined);
      await store.delete('del/x');
      expect(await store.list('del/')).to.deep.equal([]);
    });

    it('rejects an empty key', async () => {
      const err = await rejection(store.put('', 'x'));
      expect(err.message).to.contain('invalid key');
    });

    if (can.conditionalWrites) {
      it('putIfAbsent creates once and never overwrites', async () => {
        expect(await store.putIfAbsent('once/a', 'first')).to.equal(true);
        expect(await store.putIfAbsent('once/a', 'second')).to.equal(false);
        expect((await store.get('once/a')).toString()).to.equal('first');
      });

      it('putIfAbsent does not create over an object written by put', async () => {
        await store.put('once/b', 'plain');
        expect(await store.putIfAbsent('once/b', 'conditional')).to.equal(false);
        expect((await store.get('once/b')).toString()).to.equal('plain');
      });

      it('concurrent putIfAbsent on one key: exactly one wins, and its content is stored', async () => {
        const bodies = Array.from({ length: 10 }, (_, i) => `writer-${i}`);
        const results = await Promise.all(bodies.map((b) => store.putIfAbsent('once/race', b)));
        expect(results.filter(Boolean)).to.have.length(1);
        const winner = bodies[results.indexOf(true)];
        expect((await store.get('once/race')).toString()).to.equal(winner);
      });
    }
  });
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(tmpdir(), 'blob-store-test-'));
}

blobStoreContract(
  'file',
  async () => {
    const dir = await tempDir();
    return {
      store: openBlobStore(`file://${dir}/root`),
      close: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
  FULL,
);

function s3Opener(conditionalWrites: boolean, listPageSize?: number): () => Promise<Opened> {
  return async () => {
    const s3: TestS3 = await startS3ForTests({ conditionalWrites });
    // Objects outside the store's prefix must not show up in its listings.
    const neighbour = new S3BlobStore(s3.uri(), s3.options);
    await neighbour.put('outside.txt', 'x');
    await neighbour.put('artifacts-other/x.txt', 'x');
    neighbour.destroy();
    const store = openBlobStore(s3.uri('artifacts'), { ...s3.options, listPageSize }) as S3BlobStore;
    return {
      store,
      close: async () => {
        store.destroy();
        await s3.stop();
      },
    };
  };
}

const S3_FULL: Capabilities = { ...FULL, manyKeys: 45 };
if (process.env.S3_ENDPOINT) {
  blobStoreContract(`s3 (${process.env.S3_ENDPOINT})`, s3Opener(true, S3_PAGE_SIZE), S3_FULL);
} else {
  // s3rver lacks conditional writes and pagination, so those cases run against moto below.
  // No page size: s3rver fails on any continuation token, so every listing must fit one page.
  blobStoreContract('s3 (in-process s3rver)', s3Opener(false), {
    ...S3_FULL,
    conditionalWrites: false,
    pagination: false,
  });
  blobStoreContract('s3 (moto_server)', s3Opener(true, S3_PAGE_SIZE), S3_FULL);
}

describe('FileBlobStore specifics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('resolves relative file:// URIs against the working directory', () => {
    const store = new FileBlobStore('file://data/sample');
    expect(store.root).to.equal(path.join(process.cwd(), 'data/sample'));
    expect(store.uri).to.equal('file://data/sample');
    expect(new FileBlobStore('file:///abs/dir').root).to.equal('/abs/dir');
  });

  it('rejects keys that would escape the root', async () => {
    const store = new FileBlobStore(`file://${dir}/root`);
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a\\b']) {
      const err = await rejection(store.put(key, 'x'));
      expect(err.message, key).to.contain('invalid key');
    }
    await rejection(store.get('../x'));
    expect(await fs.readdir(dir)).to.deep.equal([]);
  });

  it('writes nothing but the target (no temp files left) and hides stray temp files from list', async () => {
    const store = new FileBlobStore(`file://${dir}`);
    await store.put('a/x.json', '1');
    await store.putIfAbsent('a/y.json', '2');
    await store.putIfAbsent('a/y.json', '3');
    expect((await fs.readdir(path.join(dir, 'a'))).sort()).to.deep.equal(['x.json', 'y.json']);
    // A crash between writing the temp file and renaming it leaves one of these behind.
    await fs.writeFile(path.join(dir, 'a', '.~blob-deadbeef.tmp'), 'partial');
    expect((await store.list()).map((i) => i.key)).to.deep.equal(['a/x.json', 'a/y.json']);
  });

  it('computes etag as the md5 of the content, also for files written by other tools', async () => {
    const store = new FileBlobStore(`file://${dir}`);
    await fs.writeFile(path.join(dir, 'ext.txt'), 'hello');
    expect((await store.head('ext.txt'))!.etag).to.equal('5d41402abc4b2a76b9719d911017c592');
    await fs.writeFile(path.join(dir, 'ext.txt'), 'HELLO');
    expect((await store.head('ext.txt'))!.etag).to.equal('eb61eead90e3b899c6bcbe27ac581660');
  });
});

describe('S3BlobStore specifics', function () {
  this.timeout(60_000);
  let s3: TestS3;
  before(async () => {
    s3 = await startS3ForTests();
  });
  after(async () => {
    await s3?.stop();
  });

  it('reports a missing bucket as a StoreLocationError naming the bucket, not as a missing object', async () => {
    const store = new S3BlobStore('s3://no-such-bucket-here/p', s3.options);
    try {
      for (const attempt of [
        () => store.get('k.json'),
        () => store.tryGet('k.json'),
        () => store.head('k.json'), // HEAD responses have no body: the store asks for the bucket itself
        () => store.list('x/'),
        () => store.put('k', 'v'),
      ]) {
        const err = await rejection(attempt());
        expect(err).to.be.instanceOf(StoreLocationError);
        expect(err.message).to.equal(
          'bucket "no-such-bucket-here" does not exist (s3://no-such-bucket-here/p)',
        );
      }
    } finally {
      store.destroy();
    }
  });
});

describe('openBlobStore and joinKey', () => {
  it('chooses the backend by scheme', () => {
    expect(openBlobStore('file:///tmp/x')).to.be.instanceOf(FileBlobStore);
    const s3 = openBlobStore('s3://bucket/prefix/', { region: 'us-east-1' });
    expect(s3).to.be.instanceOf(S3BlobStore);
    expect((s3 as S3BlobStore).bucket).to.equal('bucket');
    expect((s3 as S3BlobStore).prefix).to.equal('prefix');
    (s3 as S3BlobStore).destroy();
  });

  it('rejects other schemes with a clear message', () => {
    for (const uri of ['http://x/y', '/plain/path', 'data/sample', 'S3:/bucket']) {
      expect(() => openBlobStore(uri)).to.throw(`unsupported storage URI "${uri}"`);
    }
    expect(() => openBlobStore('s3://')).to.throw(/s3:\/\/bucket/);
    expect(() => openBlobStore('file://')).to.throw(/names no directory/);
  });

  it('joins key parts with single slashes', () => {
    expect(joinKey('a/', '/b', '', 'c')).to.equal('a/b/c');
    expect(joinKey('registry', 'model', 'versions/')).to.equal('registry/model/versions');
    expect(joinKey()).to.equal('');
  });
});
