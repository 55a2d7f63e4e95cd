import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Upload } from '@tus/utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoreError } from '../../core/errors.js';
import { bodyGarbage } from '../../gc/body-garbage.js';
import { openSqlite, migrate, type Db } from '../db.js';
import { LocalBlobStore } from '../local-blob-store.js';
import { UPLOAD_LOCKED } from './backend.js';
import { DatabaseLocker } from './db-locker.js';
import { TusFileStore } from './file-store.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const id = () => randomBytes(16).toString('hex');

function chunked(data: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

/** Sends `before`, then fails (a client that goes away). */
function failingAfter(before: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return void this.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
      sent = true;
      this.push(before);
    },
  });
}

describe('TusFileStore and LocalBlobStore.adopt', () => {
  let root: string;
  let blobs: LocalBlobStore;
  let store: TusFileStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-tus-'));
    blobs = new LocalBlobStore(root);
    await blobs.open({ cleanStaging: true });
    store = new TusFileStore(blobs.tusDir);
    await fs.mkdir(blobs.tusDir, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  async function created(size: number): Promise<string> {
    const u = id();
    await store.create(new Upload({ id: u, size, offset: 0 }));
    return u;
  }

  it('hashes contiguous writes as they arrive; adopt commits into the blob layout', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const u = await created(data.length);
    let offset = await store.write(chunked(data.subarray(0, 1_000_000)), u, 0);
    offset = await store.write(chunked(data.subarray(offset)), u, offset);
    expect(offset).toBe(data.length);
    expect(store.sha256Of(u, data.length)).toBe(sha256(data));
    const staged = await blobs.adopt(store.refOf(u), {
      size: data.length,
      sha256: store.sha256Of(u, data.length)!,
    });
    expect(staged.sha256).toBe(sha256(data));
    expect(staged.head).toEqual(data.subarray(0, 4096));
    const location = await staged.commit();
    expect(location).toMatch(new RegExp(`^${sha256(data)}\\.[0-9a-f]{16}$`));
    expect((await blobs.read(location)).equals(data)).toBe(true);
    await store.remove(u);
    expect(await fs.readdir(blobs.tusDir)).toEqual([]);
  });

  it('each PATCH body counts as one arriving for the collector, and is noted as it goes', async () => {
    const receiving = vi.spyOn(bodyGarbage, 'receiving');
    const note = vi.spyOn(bodyGarbage, 'note');
    try {
      const u = id();
      const data = randomBytes(1024 * 1024 + 3);
      await store.create(new Upload({ id: u, size: data.length, offset: 0, metadata: {} }));
      expect(await store.write(chunked(data), u, 0)).toBe(data.length);
      expect(receiving).toHaveBeenCalledTimes(1);
      expect(note.mock.calls.reduce((n, [bytes]) => n + bytes, 0)).toBe(data.length);
    } finally {
      receiving.mockRestore();
      note.mockRestore();
    }
  });

  it('a write another process made (offset not where this one left it) drops the hash; adopt rehashes', async () => {
    const data = randomBytes(200_000);
    const u = await created(data.length);
    await store.write(chunked(data.subarray(0, 50_000)), u, 0);
    // Another process (another store object on the same folder) writes the middle.
    const other = new TusFileStore(blobs.tusDir);
    await other.write(chunked(data.subarray(50_000, 120_000)), u, 50_000);
    expect(other.sha256Of(u, 120_000)).toBeUndefined();
    await store.write(chunked(data.subarray(120_000)), u, 120_000);
    expect(store.sha256Of(u, data.length)).toBeUndefined();
    const staged = await blobs.adopt(store.refOf(u), { size: data.length });
    expect(staged.sha256).toBe(sha256(data));
    await staged.discard();
    expect(await fs.readdir(blobs.tusDir)).toEqual([`${u}.json`]);
  });

  it('a body that fails mid-write leaves a consistent prefix and no hash', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const u = await created(data.length + 10);
    await expect(store.write(failingAfter(data), u, 0)).rejects.toBeDefined();
    const upload = await store.getUpload(u);
    expect(upload.offset).toBeLessThanOrEqual(data.length);
    const onDisk = await fs.readFile(path.join(blobs.tusDir, u));
    expect(onDisk.equals(data.subarray(0, onDisk.length))).toBe(true);
    expect(store.sha256Of(u, upload.offset)).toBeUndefined();
  });

  it('adopt: small bodies come back inline (the file goes), a wrong size is refused', async () => {
    const small = randomBytes(1000);
    const u = await created(small.length);
    await store.write(chunked(small), u, 0);
    const staged = await blobs.adopt(store.refOf(u), { size: small.length, inlineMax: 16384 });
    expect(staged.inline?.equals(small)).toBe(true);
    expect(staged.sha256).toBe(sha256(small));
    await expect(fs.stat(path.join(blobs.tusDir, u))).rejects.toThrow();

    const v = await created(500);
    await store.write(chunked(randomBytes(400)), v, 0);
    await expect(blobs.adopt(store.refOf(v), { size: 500 })).rejects.toBeInstanceOf(CoreError);
    // Only tus/<32 hex> names a file: nothing else in (or out of) staging can be adopted.
    for (const ref of ['../stowage.db', `tus/${v}.json`, 'tus/../x', v]) {
      await expect(blobs.adopt(ref, { size: 1 })).rejects.toBeInstanceOf(CoreError);
    }
  });

  it('ids that are not ours are not found (no path is built from them)', async () => {
    for (const bad of ['../../etc/passwd', 'abc', `${id()}.json`]) {
      await expect(store.getUpload(bad)).rejects.toMatchObject({ status_code: 404 });
      await expect(store.write(chunked(Buffer.from('x')), bad, 0)).rejects.toMatchObject({
        status_code: 404,
      });
    }
  });

  it('crash cleaning and pending counts: tus files are not staging files of a process', async () => {
    const u = await created(10);
    await store.write(chunked(Buffer.from('hello')), u, 0);
    await blobs.open({ cleanStaging: true });
    expect((await fs.readdir(blobs.tusDir)).sort()).toEqual([u, `${u}.json`].sort());
    expect(await blobs.pendingUploads()).toBe(1);
    expect(await blobs.abandonedUploads({ remove: true })).toBe(0);
  });
});

describe('DatabaseLocker', () => {
  let root: string;
  let db: Db;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-tus-lock-'));
    db = openSqlite(root);
    await migrate(db);
  });
  afterEach(async () => {
    await db.destroy();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('two processes (two lockers on one database) never hold one upload at once', async () => {
    const a = new DatabaseLocker(db, { pollMs: 10 });
    const b = new DatabaseLocker(db, { pollMs: 10 });
    const signal = new AbortController().signal;
    const first = a.newLock('u1');
    await first.lock(signal, () => {});
    let second = false;
    const waiting = b
      .newLock('u1')
      .lock(signal, () => {})
      .then(() => (second = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(second).toBe(false);
    // Another upload is not held up.
    await b.newLock('u2').lock(signal, () => {});
    await first.unlock();
    await waiting;
    expect(second).toBe(true);
  });

  it('a waiter in the same process asks the holder to let go', async () => {
    const locker = new DatabaseLocker(db, { pollMs: 10 });
    const signal = new AbortController().signal;
    const holder = locker.newLock('u');
    let asked = false;
    await holder.lock(signal, async () => {
      asked = true;
      await holder.unlock();
    });
    await locker.newLock('u').lock(signal, () => {});
    expect(asked).toBe(true);
  });

  it("a dead holder's lease runs out; a waiter gives up after its timeout", async () => {
    // A process that died holding the lock: its row, no renewal.
    await db
      .insertInto('locks')
      .values({ name: 'tus:u', holder: 'dead', expires_at: Date.now() + 300 })
      .execute();
    const signal = new AbortController().signal;
    const impatient = new DatabaseLocker(db, { pollMs: 10, acquireTimeoutMs: 50 });
    // 423, as tusd and the Redis locker answer (tus's own ERR_LOCK_TIMEOUT would be a 500).
    await expect(impatient.newLock('u').lock(signal, () => {})).rejects.toBe(UPLOAD_LOCKED);
    const patient = new DatabaseLocker(db, { pollMs: 10 });
    const lock = patient.newLock('u');
    await lock.lock(signal, () => {});
    await lock.unlock();
    expect(await db.selectFrom('locks').selectAll().where('name', '=', 'tus:u').execute()).toEqual(
      [],
    );
  });
});
