import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ERRORS, Upload } from '@tus/utils';
import { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, scaleOutUnavailable, startS3 } from '../../../test/scaleout.js';
import { S3BlobStore } from '../s3-blob-store.js';
import { RedisMetadataCache, S3TusStore, type S3TusStoreOptions } from './s3-tus-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** The tus S3 store against s3rver: where its objects go, the hash, removal. */
describe('S3TusStore', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let base: S3TusStoreOptions;
  let store: S3TusStore;
  let blobs: S3BlobStore;
  const newId = () => randomBytes(16).toString('hex');

  beforeAll(async () => {
    s3 = await startS3('tusstore');
    base = {
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix: 'pre/',
      checksums: 'when_required',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize: 5 * MiB,
    };
    store = new S3TusStore(base);
    blobs = new S3BlobStore({ ...base });
    await blobs.open({ cleanStaging: false });
  });

  afterAll(async () => {
    store?.close();
    await blobs?.close();
    await s3?.stop();
  });

  async function keys(): Promise<string[]> {
    const res = await blobs.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function create(s: S3TusStore, size: number): Promise<string> {
    const id = newId();
    await s.create(new Upload({ id, size, offset: 0, metadata: { filename: 'f.bin' } }));
    return id;
  }

  /** A request body the client cuts after `bytes` (the socket destroyed mid-PATCH). */
  function cut(bytes: Buffer): Readable {
    const src = new PassThrough();
    src.write(bytes);
    setTimeout(() => src.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 400);
    return src;
  }

  it('PATCHes in order: parts and .part objects in the tus area, hashed as they pass, adopted', async () => {
    const body = randomBytes(12 * MiB + 333);
    const id = await create(store, body.length);
    expect(await keys()).toEqual([`pre/tus/${id}.info`]);
    let offset = 0;
    for (const len of [3 * MiB, 6 * MiB, body.length - 9 * MiB]) {
      const next = await store.write(
        Readable.from([body.subarray(offset, offset + len)]),
        id,
        offset,
      );
      expect(next).toBe(offset + len);
      offset = next;
      expect((await store.getUpload(id)).offset).toBe(offset);
      if (offset < body.length) expect(await keys()).toContain(`pre/tus/${id}.part`);
    }
    expect(await keys()).toEqual([`pre/tus/${id}`, `pre/tus/${id}.info`]);
    const hash = store.sha256Of(id, body.length);
    expect(hash).toBe(sha(body));
    // Taken once.
    expect(store.sha256Of(id, body.length)).toBeUndefined();
    const staged = await blobs.adopt(store.refOf(id), { size: body.length, sha256: hash });
    const location = await staged.commit();
    expect(sha(await blobs.read(location))).toBe(sha(body));
    // The finished upload still answers HEAD (complete) until it is purged.
    expect((await store.getUpload(id)).offset).toBe(body.length);
    await store.purge(id);
    expect(await keys()).toEqual([`pre/${location}`]);
    await blobs.delete(location);
  });

  it('a PATCH cut mid-way: the offset is what was stored, the hash is dropped, resuming ends byte-exact', async () => {
    const body = randomBytes(11 * MiB);
    const id = await create(store, body.length);
    await expect(store.write(cut(body.subarray(0, 7 * MiB)), id, 0)).rejects.toBeTruthy();
    const stored = (await store.getUpload(id)).offset;
    expect(stored).toBeLessThanOrEqual(7 * MiB);
    const end = await store.write(Readable.from([body.subarray(stored)]), id, stored);
    expect(end).toBe(body.length);
    // Resumed from 0, all of it passed here in order again; else the hash is gone.
    expect(store.sha256Of(id, body.length)).toBe(stored === 0 ? sha(body) : undefined);
    const staged = await blobs.adopt(store.refOf(id), { size: body.length });
    expect(staged.sha256).toBe(sha(body));
    const location = await staged.commit();
    await store.purge(id);
    await blobs.delete(location);
    expect(await keys()).toEqual([]);
  });

  it('a write at an offset this node did not see from the start is not hashed', async () => {
    const body = randomBytes(2 * MiB);
    const id = await create(store, body.length);
    const other = new S3TusStore(base);
    try {
      await other.write(Readable.from([body.subarray(0, MiB)]), id, 0);
      await store.write(Readable.from([body.subarray(MiB)]), id, MiB);
      expect(store.sha256Of(id, body.length)).toBeUndefined();
    } finally {
      other.close();
    }
    await store.purge(id);
  });

  it('remove of an unfinished upload aborts it and leaves nothing; removing again is no error', async () => {
    const id = await create(store, 20 * MiB);
    await store.write(Readable.from([randomBytes(7 * MiB)]), id, 0);
    expect(await keys()).toEqual([`pre/tus/${id}.info`, `pre/tus/${id}.part`]);
    await store.remove(id);
    expect(await keys()).toEqual([]);
    await expect(store.getUpload(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
    await store.remove(id);
  });

  it('lists uploads by their .info objects; ids that are not plain names are refused', async () => {
    const id = await create(store, 10);
    const listed: string[] = [];
    for await (const u of store.uploadsBefore(Date.now() + 60_000)) listed.push(u);
    expect(listed).toEqual([id]);
    const none: string[] = [];
    for await (const u of store.uploadsBefore(0)) none.push(u);
    expect(none).toEqual([]);
    await store.purge(id);
    await expect(store.create(new Upload({ id: '../b/x', size: 1, offset: 0 }))).rejects.toBe(
      ERRORS.FILE_NOT_FOUND,
    );
  });
});

const noRedis = await scaleOutUnavailable();

describe.skipIf(noRedis !== null)('S3TusStore on two nodes (shared Redis metadata cache)', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let redis: Redis;
  const prefix = `stowage-test:${randomBytes(6).toString('hex')}:tus:meta:`;

  beforeAll(async () => {
    s3 = await startS3('tusnodes');
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
    await s3.stop();
  });

  it("what one node removes the other no longer serves; each continues the other's upload", async () => {
    const opts: S3TusStoreOptions = {
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix: '',
      checksums: 'when_required',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    };
    const [S1, S2] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const a = new S3TusStore({ ...opts, cache: new RedisMetadataCache(redis, prefix) });
    const b = new S3TusStore({ ...opts, cache: new RedisMetadataCache(redis, prefix) });
    try {
      const body = randomBytes(300_000);
      await a.create(new Upload({ id: S1, size: body.length, offset: 0 }));
      expect(await a.write(Readable.from([body.subarray(0, 100_000)]), S1, 0)).toBe(100_000);
      expect((await b.getUpload(S1)).offset).toBe(100_000);
      expect(await b.write(Readable.from([body.subarray(100_000)]), S1, 100_000)).toBe(body.length);
      await a.create(new Upload({ id: S2, size: 10, offset: 0 }));
      expect((await b.getUpload(S2)).offset).toBe(0);
      expect(await redis.pttl(`${prefix}${S2}`)).toBeGreaterThan(0);
      await a.remove(S2);
      await expect(b.getUpload(S2)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
      await b.purge(S1);
    } finally {
      a.close();
      b.close();
    }
  });
});
