import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { useTempSqlite } from '../../storage/db.test-helpers.js';
import { KyselyFileRepository } from '../../storage/file-repository.js';
import { MemoryBlobStore } from '../../storage/memory-blob-store.js';
import { FileService } from '../files.js';

/** What a download can have without waiting: the record looked up moments ago, small bytes read. */
describe('FileService: what is at hand', () => {
  const db = useTempSqlite('stowage-held-');
  let now: number;
  beforeEach(() => void (now = Date.now()));

  async function setup() {
    const files = new FileService(new KyselyFileRepository(db()), new MemoryBlobStore(), {
      maxFileSize: 1024 * 1024,
      allowAnonymousUploads: true,
      cacheTtlMs: 1000,
      now: () => now,
    });
    const upload = async (bytes: Buffer, expiresAt: number | null = null) =>
      (
        await files.upload({
          body: Readable.from([bytes]),
          name: 'f.bin',
          uploader: null,
          expiresAt,
        })
      ).file;
    return { files, upload };
  }

  it('a record is at hand after a lookup, for the cache time, and not once it expires', async () => {
    const { files, upload } = await setup();
    const { id } = await upload(Buffer.from('hello'), now + 1500);
    expect(files.cached(id)).toBeUndefined();
    const looked = await files.get(id);
    expect(files.cached(id)).toBe(looked);
    now += 999;
    expect(files.cached(id)).toBe(looked);
    now += 1;
    expect(files.cached(id)).toBeUndefined();
    // Looked up again 500 ms before its expiry: at hand until then, not after (the cache's time
    // would still run).
    await files.get(id);
    now += 499;
    expect(files.cached(id)).toBeDefined();
    now += 1;
    expect(files.cached(id)).toBeUndefined();
    await expect(files.get(id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a small file’s bytes are at hand once read, whole or a range; a big one’s never', async () => {
    const { files, upload } = await setup();
    const small = await upload(Buffer.from('0123456789'));
    expect(files.heldBytes(small)).toBeUndefined();
    expect((await files.readBytes(small, { start: 2, end: 4 })).toString()).toBe('234');
    expect(files.heldBytes(small)?.toString()).toBe('0123456789');
    expect(files.heldBytes(small, { start: 7, end: 9 })?.toString()).toBe('789');
    const big = await upload(Buffer.alloc(100 * 1024, 1));
    expect((await files.readBytes(big, { start: 0, end: 9 })).length).toBe(10);
    expect(files.heldBytes(big)).toBeUndefined();
    // A content gone from the store is dropped from memory with it.
    await files.remove(small);
    expect(files.heldBytes(small)).toBeUndefined();
  });
});
