import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlobStore } from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';
import { bodyGarbage, readGarbage } from '../gc/body-garbage.js';
import { LocalBlobStore } from './local-blob-store.js';
import { MemoryBlobStore } from './memory-blob-store.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of `data` cut into `chunk`-byte pieces. */
function chunked(data: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

/** Sends `before` bytes, then fails with `err` (like a socket reset mid-upload). */
function failingAfter(before: Buffer, err: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(before);
        return;
      }
      setImmediate(() => this.destroy(err));
    },
  });
}

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) out.push(c);
  return Buffer.concat(out);
}

async function expectCoreError(p: Promise<unknown>, codes: string[]): Promise<CoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CoreError);
  expect(codes).toContain((err as CoreError).code);
  return err as CoreError;
}

interface Harness {
  store: BlobStore;
  /** Partial uploads currently held by the store (files in staging / staged buffers). */
  staged(): Promise<number>;
  cleanup(): Promise<void>;
}

const stores: Array<[string, () => Promise<Harness>]> = [
  [
    'LocalBlobStore',
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-blob-'));
      const store = new LocalBlobStore(root);
      await store.open({ cleanStaging: true });
      return {
        store,
        staged: async () => (await fs.readdir(path.join(root, 'staging'))).length,
        cleanup: () => fs.rm(root, { recursive: true, force: true }),
      };
    },
  ],
  [
    'MemoryBlobStore',
    async () => {
      const store = new MemoryBlobStore();
      await store.open();
      return { store, staged: async () => store.staged, cleanup: async () => {} };
    },
  ],
];

describe.each(stores)('BlobStore contract: %s', (_name, make) => {
  let h: Harness;
  beforeEach(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.store.close();
    await h.cleanup();
  });

  it('hashes, sizes and keeps the head of the content in the same pass', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    // Uneven small chunks: the head has to be assembled across chunk boundaries.
    const staged = await h.store.put(chunked(data, 1000), { maxBytes: 10 * 1024 * 1024 });
    expect(staged.sha256).toBe(sha256(data));
    expect(staged.key).toBe(sha256(data));
    expect(staged.size).toBe(data.length);
    expect(staged.head.length).toBe(4096);
    expect(staged.head.equals(data.subarray(0, 4096))).toBe(true);
    expect(await h.staged()).toBe(1);
    await staged.discard();
  });

  it('keeps the whole content as head when it is smaller than 4 KiB', async () => {
    const data = Buffer.from('hello, world\n');
    const staged = await h.store.put(chunked(data), { maxBytes: 1024 });
    expect(staged.head.equals(data)).toBe(true);
    expect(staged.size).toBe(data.length);
    await staged.discard();
  });

  it('returns a small body inline (nothing stored, nothing staged) when inlineMax allows', async () => {
    const data = randomBytes(1000);
    const staged = await h.store.put(chunked(data), { maxBytes: 1024 * 1024, inlineMax: 1000 });
    expect(staged.inline?.equals(data)).toBe(true);
    expect(staged.sha256).toBe(sha256(data));
    expect(staged.size).toBe(1000);
    const over = await h.store.put(chunked(data), { maxBytes: 1024 * 1024, inlineMax: 999 });
    expect(over.inline).toBeUndefined();
    const loc = await over.commit();
    expect((await h.store.read(loc)).equals(data)).toBe(true);
  });

  it('accepts an empty body', async () => {
    const staged = await h.store.put(Readable.from([]), { maxBytes: 1024 });
    expect(staged.size).toBe(0);
    expect(staged.sha256).toBe(sha256(Buffer.alloc(0)));
    const loc = await staged.commit();
    expect((await h.store.read(loc)).length).toBe(0);
    expect(await h.store.stat(loc)).toMatchObject({ size: 0 });
  });

  it('commits to a location named after the hash; get/read/stat return the exact bytes', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 17);
    const staged = await h.store.put(chunked(data), { maxBytes: 10 * 1024 * 1024 });
    const loc = await staged.commit();
    expect(loc.startsWith(sha256(data))).toBe(true);
    expect(await h.staged()).toBe(0);
    expect((await h.store.read(loc)).equals(data)).toBe(true);
    expect((await collect(await h.store.get(loc))).equals(data)).toBe(true);
    expect(await h.store.stat(loc)).toMatchObject({ size: data.length });
  });

  it('serves inclusive byte ranges from get and read', async () => {
    const data = randomBytes(1024 * 1024 + 5);
    const loc = await (await h.store.put(chunked(data), { maxBytes: 4 * 1024 * 1024 })).commit();
    for (const range of [
      { start: 0, end: 0 },
      { start: 10, end: 19 },
      { start: 65_530, end: 70_000 },
      { start: data.length - 1, end: data.length - 1 },
      { start: 0, end: data.length - 1 },
    ]) {
      const want = data.subarray(range.start, range.end + 1);
      const viaRead = await h.store.read(loc, range);
      const viaGet = await collect(await h.store.get(loc, range));
      expect(viaRead.length).toBe(want.length);
      expect(viaRead.equals(want)).toBe(true);
      expect(viaGet.equals(want)).toBe(true);
    }
  });

  it('delete removes the blob; missing blobs are not_found / null', async () => {
    const data = randomBytes(5000);
    const loc = await (await h.store.put(chunked(data), { maxBytes: 10_000 })).commit();
    await h.store.delete(loc);
    expect(await h.store.stat(loc)).toBeNull();
    await expectCoreError(h.store.read(loc), ['not_found']);
    await expectCoreError(h.store.get(loc), ['not_found']);
    // Deleting again is harmless.
    await h.store.delete(loc);
  });

  it('discard drops the staged data and makes commit impossible afterwards', async () => {
    const staged = await h.store.put(chunked(randomBytes(10_000)), { maxBytes: 20_000 });
    expect(await h.staged()).toBe(1);
    await staged.discard();
    expect(await h.staged()).toBe(0);
    await expect(staged.commit()).rejects.toThrow();
    // Discard after settle is a no-op.
    await staged.discard();
  });

  it('a staged blob can only be committed once; discard after commit keeps the blob', async () => {
    const data = randomBytes(10_000);
    const staged = await h.store.put(chunked(data), { maxBytes: 20_000 });
    const loc = await staged.commit();
    await expect(staged.commit()).rejects.toThrow();
    await staged.discard();
    expect((await h.store.read(loc)).equals(data)).toBe(true);
  });

  it('cuts the body off past maxBytes with file_too_large and leaves nothing staged', async () => {
    const body = chunked(randomBytes(3 * 1024 * 1024));
    await expectCoreError(h.store.put(body, { maxBytes: 1024 * 1024 }), ['file_too_large']);
    expect(await h.staged()).toBe(0);
    expect(body.destroyed).toBe(true);
  });

  it('accepts a body of exactly maxBytes', async () => {
    const data = randomBytes(256 * 1024);
    const staged = await h.store.put(chunked(data, 10_000), { maxBytes: data.length });
    expect(staged.size).toBe(data.length);
    await staged.discard();
  });

  it('rejects when the source stream fails mid-way and leaves nothing staged', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    await expectCoreError(
      h.store.put(failingAfter(randomBytes(1536 * 1024), reset), { maxBytes: 10 * 1024 * 1024 }),
      ['upload_aborted', 'storage_failed'],
    );
    expect(await h.staged()).toBe(0);
    await expectCoreError(
      h.store.put(failingAfter(randomBytes(1000), new Error('boom')), { maxBytes: 1024 * 1024 }),
      ['upload_aborted', 'storage_failed'],
    );
    expect(await h.staged()).toBe(0);
  });

  it('identical content committed twice: each commit has its own location, both readable', async () => {
    // The store keeps one copy per commit; deduplication is decided by the metadata transaction
    // (FileService.publish, see test/dedup.test.ts).
    const data = randomBytes(50_000);
    const a = await (await h.store.put(chunked(data), { maxBytes: 100_000 })).commit();
    const b = await (await h.store.put(chunked(data), { maxBytes: 100_000 })).commit();
    expect(a).not.toBe(b);
    await h.store.delete(b);
    expect((await h.store.read(a)).equals(data)).toBe(true);
  });
});

describe('LocalBlobStore on disk', () => {
  let root: string;
  let store: LocalBlobStore;
  const staging = () => fs.readdir(path.join(root, 'staging'));

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-blob-'));
    store = new LocalBlobStore(root);
    await store.open({ cleanStaging: true });
  });
  afterEach(async () => {
    await store.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  async function allBlobFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await fs.readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(path.relative(path.join(root, 'blobs'), p));
      }
    };
    await walk(path.join(root, 'blobs'));
    return out;
  }

  it('stages the upload in <root>/staging with the complete bytes, then renames it to blobs/ab/cd/<sha256>…', async () => {
    const data = randomBytes(1234567);
    const hex = sha256(data);
    const staged = await store.put(chunked(data), { maxBytes: 2 * 1024 * 1024 });
    const parts = await staging();
    expect(parts).toHaveLength(1);
    // Durable and complete before commit: the staged file holds exactly the bytes.
    const onDisk = await fs.readFile(path.join(root, 'staging', parts[0]!));
    expect(onDisk.equals(data)).toBe(true);
    expect(await allBlobFiles()).toEqual([]);

    const loc = await staged.commit();
    expect(await staging()).toEqual([]);
    const files = await allBlobFiles();
    expect(files).toEqual([path.join(hex.slice(0, 2), hex.slice(2, 4), loc)]);
    expect(loc.startsWith(hex)).toBe(true);
    expect((await fs.readFile(path.join(root, 'blobs', files[0]!))).equals(data)).toBe(true);
    expect(store.pathOf(loc)).toBe(path.join(root, 'blobs', files[0]!));
  });

  it('discard removes the staging file', async () => {
    const staged = await store.put(chunked(randomBytes(100_000)), { maxBytes: 1_000_000 });
    expect(await staging()).toHaveLength(1);
    await staged.discard();
    expect(await staging()).toEqual([]);
    expect(await allBlobFiles()).toEqual([]);
  });

  it('file_too_large leaves no staging file and no blob', async () => {
    await expectCoreError(
      store.put(chunked(randomBytes(3 * 1024 * 1024)), { maxBytes: 1024 * 1024 }),
      ['file_too_large'],
    );
    expect(await staging()).toEqual([]);
    expect(await allBlobFiles()).toEqual([]);
  });

  it('a source error mid-way leaves no staging file and no blob', async () => {
    const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const err = await expectCoreError(
      store.put(failingAfter(randomBytes(2 * 1024 * 1024), reset), { maxBytes: 1e8 }),
      ['upload_aborted', 'storage_failed'],
    );
    expect(err.code).toBe('upload_aborted');
    expect(await staging()).toEqual([]);
    expect(await allBlobFiles()).toEqual([]);
  });

  it('open({cleanStaging:true}) removes the leftovers of dead processes, never the uploads of live ones; open({cleanStaging:false}) keeps them', async () => {
    // An upload of this (live) process, staged and not yet committed.
    await store.put(chunked(randomBytes(10_000)), { maxBytes: 1_000_000 });
    const [live] = await staging();
    expect(live).toMatch(new RegExp(`^${process.pid}\\.`));
    // A crashed upload of a process that is gone, and one of an earlier version (no owner).
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    const dead = live!.replace(/^\d+/, String(gone.pid));
    await fs.writeFile(path.join(root, 'staging', dead), 'partial');
    await fs.writeFile(path.join(root, 'staging', '1700000000000-0123456789abcdef.part'), 'old');
    const committed = await (
      await store.put(chunked(Buffer.from('keep me')), { maxBytes: 100 })
    ).commit();
    expect(await staging()).toHaveLength(3);

    const cli = new LocalBlobStore(root);
    await cli.open({ cleanStaging: false });
    expect(await staging()).toHaveLength(3);
    expect(await cli.abandonedUploads({ remove: false })).toBe(1);

    const server = new LocalBlobStore(root);
    await server.open({ cleanStaging: true });
    expect(await staging()).toEqual([live]);
    // Committed blobs are untouched.
    expect((await server.read(committed)).toString()).toBe('keep me');
  });

  it('never turns a location that is not <sha256>.<nonce> into a path (outside blobs/ or not)', async () => {
    // The class comment promises that only locations matching LOCATION reach a path. Locations come
    // from the database, so this is defence in depth: a crafted one must not delete/read other files.
    const victim = path.join(root, 'victim');
    await fs.writeFile(victim, 'secret');
    // pathOf('../victim') = blobs/../'/v'/../victim = <root>/victim
    await store.delete('../victim').catch(() => {});
    expect(await fs.readFile(victim, 'utf8')).toBe('secret');
    await expect(store.read('../victim')).rejects.toThrow();
    expect(await store.stat('../victim').catch(() => null)).toBeNull();
  });
});

describe('LocalBlobStore and the young-generation collectors', () => {
  let root: string;
  let store: LocalBlobStore;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-blob-'));
    store = new LocalBlobStore(root);
    await store.open({ cleanStaging: true });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('uploads: each body counts as one arriving (none is collected for while two do)', async () => {
    const receiving = vi.spyOn(bodyGarbage, 'receiving');
    const note = vi.spyOn(bodyGarbage, 'note');
    const a = randomBytes(2 * 1024 * 1024);
    const b = randomBytes(3 * 1024 * 1024 + 7);
    const staged = await Promise.all([
      store.put(chunked(a), { maxBytes: 1e8 }),
      store.put(chunked(b), { maxBytes: 1e8 }),
    ]);
    expect(receiving).toHaveBeenCalledTimes(2);
    expect(note.mock.calls.reduce((n, [bytes]) => n + bytes, 0)).toBe(a.length + b.length);
    expect(staged.map((s) => s.sha256)).toEqual([sha256(a), sha256(b)]);
    for (const s of staged) await s.discard();
  });

  it('reads: every chunk of a stream read is reported', async () => {
    const note = vi.spyOn(readGarbage, 'note');
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const loc = await (await store.put(chunked(data), { maxBytes: 1e8 })).commit();
    note.mockClear();
    expect((await collect(await store.get(loc))).equals(data)).toBe(true);
    expect(note.mock.calls.reduce((a, [n]) => a + n, 0)).toBe(data.length);
  });
});
