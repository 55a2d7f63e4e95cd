import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  pendingUploads,
  startServer,
  storedLocations,
  type TestServer,
} from './helpers.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('identical content is stored once, reference-counted', () => {
  let s: TestServer;
  let auth: string;

  beforeAll(async () => {
    s = await startServer();
    auth = basic(await createUserWithKey(s, 'dedup'));
  });
  afterAll(() => s?.close());

  async function put(
    name: string,
    body: Buffer<ArrayBuffer>,
  ): Promise<{ id: string; hash_sha256: string; size: number }> {
    const r = await fetch(`${s.url}/api/file/${name}`, {
      method: 'PUT',
      body,
      headers: { Authorization: auth },
    });
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string; hash_sha256: string; size: number };
  }

  async function download(id: string): Promise<{ status: number; body: Buffer }> {
    const r = await fetch(`${s.url}/api/file/${id}`);
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  }

  async function del(id: string): Promise<number> {
    const r = await fetch(`${s.url}/api/file/${id}`, {
      method: 'DELETE',
      headers: { Authorization: auth },
    });
    await r.arrayBuffer();
    return r.status;
  }

  async function blobRow(key: string): Promise<{ refcount: number; location: string } | undefined> {
    const row = await s.app.runtime.db
      .selectFrom('blobs')
      .select(['refcount', 'location'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? { refcount: Number(row.refcount), location: row.location } : undefined;
  }

  async function filesWithKey(key: string): Promise<string[]> {
    const rows = await s.app.runtime.db
      .selectFrom('files')
      .select('id')
      .where('blob_key', '=', key)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Every location a `blobs` or `derived_images` row points at. */
  async function referencedLocations(): Promise<Set<string>> {
    const db = s.app.runtime.db;
    const blobs = await db.selectFrom('blobs').select('location').execute();
    const derived = await db.selectFrom('derived_images').select('location').execute();
    return new Set([...blobs, ...derived].map((r) => r.location));
  }

  /**
   * The copies of `hash` in the blob store, as the store and the database see them together: the
   * location of its row when the store holds it (its bytes checked against the hash), plus every
   * stored location that no row points at. On S3 a location (`b/<random>`) does not name its
   * content, so an orphan cannot be attributed to one hash and counts against all of them:
   * "exactly one copy" means the row's own location and no orphan anywhere in the store.
   */
  async function blobsFor(hash: string): Promise<string[]> {
    const stored = await storedLocations(s);
    const referenced = await referencedLocations();
    const own = (await blobRow(hash))?.location;
    const copies = stored.filter((l) => l === own || !referenced.has(l));
    if (own !== undefined && copies.includes(own))
      expect(sha256(await s.app.runtime.blobs.read(own))).toBe(hash);
    return copies;
  }

  it('two uploads of the same bytes: two files, one blob; the blob goes with the last file', async () => {
    const data = randomBytes(300_000);
    const hash = sha256(data);
    const a = await put('a.bin', data);
    const b = await put('b-other-name.bin', data);
    expect(a.id).not.toBe(b.id);
    expect(a.hash_sha256).toBe(hash);
    expect(b.hash_sha256).toBe(hash);
    expect(await blobsFor(hash)).toHaveLength(1);
    expect((await blobRow(hash))?.refcount).toBe(2);

    expect(await del(a.id)).toBe(200);
    expect((await download(a.id)).status).toBe(404);
    const still = await download(b.id);
    expect(still.status).toBe(200);
    expect(still.body.equals(data)).toBe(true);
    expect(await blobsFor(hash)).toHaveLength(1);
    expect((await blobRow(hash))?.refcount).toBe(1);

    expect(await del(b.id)).toBe(200);
    expect((await download(b.id)).status).toBe(404);
    expect(await blobsFor(hash)).toEqual([]);
    expect(await blobRow(hash)).toBeUndefined();
  });

  it('the same bytes uploaded anonymously and by a user share the blob; each delete releases one reference', async () => {
    const data = randomBytes(70_000);
    const hash = sha256(data);
    const anon = await fetch(`${s.url}/api/file/anon.bin`, { method: 'PUT', body: data });
    expect(anon.status).toBe(201);
    const anonInfo = (await anon.json()) as { id: string; deleteKey: string };
    const mine = await put('mine.bin', data);
    expect(await blobsFor(hash)).toHaveLength(1);
    expect((await blobRow(hash))?.refcount).toBe(2);

    const r = await fetch(`${s.url}/api/file/${anonInfo.id}?key=${anonInfo.deleteKey}`, {
      method: 'DELETE',
    });
    expect(r.status).toBe(200);
    expect((await download(mine.id)).body.equals(data)).toBe(true);
    expect(await del(mine.id)).toBe(200);
    expect(await blobsFor(hash)).toEqual([]);
  });

  it('a blob comes back after its last file was deleted when the content is uploaded again', async () => {
    const data = randomBytes(100_000);
    const hash = sha256(data);
    const first = await put('x.bin', data);
    expect(await del(first.id)).toBe(200);
    expect(await blobsFor(hash)).toEqual([]);
    const again = await put('x.bin', data);
    expect(await blobsFor(hash)).toHaveLength(1);
    expect((await download(again.id)).body.equals(data)).toBe(true);
    expect(await del(again.id)).toBe(200);
  });

  it('small uploads (up to 16 KiB) live in the database: no blob file, same dedup and refcounting', async () => {
    const data = randomBytes(16 * 1024);
    const hash = sha256(data);
    const before = await storedLocations(s);
    const a = await put('small-a.bin', data);
    const b = await put('small-b.bin', data);
    expect(a.hash_sha256).toBe(hash);
    expect(await storedLocations(s)).toEqual(before);
    expect(await pendingUploads(s)).toBe(0);
    expect(await blobRow(hash)).toEqual({ refcount: 2, location: 'inline' });
    expect((await download(a.id)).body.equals(data)).toBe(true);
    const ranged = await fetch(`${s.url}/api/file/${b.id}`, {
      headers: { Range: 'bytes=100-199' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    expect(await del(a.id)).toBe(200);
    expect((await download(b.id)).body.equals(data)).toBe(true);
    expect(await del(b.id)).toBe(200);
    expect(await blobRow(hash)).toBeUndefined();
    expect((await download(b.id)).status).toBe(404);

    // One byte over the threshold goes to the blob store.
    const big = randomBytes(16 * 1024 + 1);
    const c = await put('just-over.bin', big);
    expect((await blobRow(sha256(big)))?.location).not.toBe('inline');
    expect(await blobsFor(sha256(big))).toHaveLength(1);
    expect(await del(c.id)).toBe(200);
  });

  it('a small upload of content already stored as a blob file references that file, not a copy in the database', async () => {
    // Stored outside the database before (a lower threshold then, or another path to the store):
    // the small upload's upsert must keep that row and its location.
    const data = randomBytes(2048);
    const hash = sha256(data);
    const staged = await s.app.runtime.blobs.put(Readable.from([data]), {
      maxBytes: 1 << 20,
      inlineMax: 0,
    });
    const location = await staged.commit();
    await s.app.runtime.db
      .insertInto('blobs')
      .values({ key: hash, location, size: data.length, refcount: 1, data: null, created_at: 0 })
      .execute();
    const stored = await storedLocations(s);
    const a = await put('small-known.bin', data);
    expect(a.hash_sha256).toBe(hash);
    expect(await blobRow(hash)).toEqual({ refcount: 2, location });
    expect(await storedLocations(s)).toEqual(stored);
    expect((await download(a.id)).body.equals(data)).toBe(true);
    expect(await del(a.id)).toBe(200);
    expect(await blobRow(hash)).toEqual({ refcount: 1, location });
    await s.app.runtime.db.deleteFrom('blobs').where('key', '=', hash).execute();
    await s.app.runtime.blobs.delete(location);
  });

  it('distinct content gets distinct blobs', async () => {
    const x = randomBytes(50_000);
    const y = Buffer.from(x);
    y.writeUInt8(y.readUInt8(y.length - 1) ^ 1, y.length - 1); // one bit apart
    const fx = await put('x.bin', x);
    const fy = await put('y.bin', y);
    expect(fx.hash_sha256).toBe(sha256(x));
    expect(fy.hash_sha256).toBe(sha256(y));
    expect(fx.hash_sha256).not.toBe(fy.hash_sha256);
    expect(await blobsFor(sha256(x))).toHaveLength(1);
    expect(await blobsFor(sha256(y))).toHaveLength(1);
    expect((await download(fx.id)).body.equals(x)).toBe(true);
    expect((await download(fy.id)).body.equals(y)).toBe(true);
    await del(fx.id);
    expect((await download(fy.id)).body.equals(y)).toBe(true);
    await del(fy.id);
    expect(await blobsFor(sha256(y))).toEqual([]);
  });

  it('20 concurrent uploads of the same 1 MiB: all 201, one blob, refcount 20', async () => {
    const data = randomBytes(MiB);
    const hash = sha256(data);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => put(`same-${i}.bin`, data)),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(20);
    for (const r of results) expect(r.hash_sha256).toBe(hash);
    expect(await blobsFor(hash)).toHaveLength(1);
    expect((await blobRow(hash))?.refcount).toBe(20);
    expect(await pendingUploads(s)).toBe(0);
    for (const r of results.slice(0, 3))
      expect((await download(r.id)).body.equals(data)).toBe(true);
    await Promise.all(results.map((r) => del(r.id)));
    expect(await blobsFor(hash)).toEqual([]);
    expect(await blobRow(hash)).toBeUndefined();
  });

  it('concurrent deletes and uploads of the same bytes never lose a referenced blob nor keep an orphan', async () => {
    const data = randomBytes(MiB);
    const hash = sha256(data);
    // A few rounds, each starting from a different state (blob present / absent), to shake out races.
    for (let round = 0; round < 3; round++) {
      const existing = await Promise.all(
        Array.from({ length: 20 }, (_, i) => put(`r${round}-old-${i}.bin`, data)),
      );
      const [deletes, uploads] = await Promise.all([
        Promise.all(existing.map((f) => del(f.id))),
        Promise.all(Array.from({ length: 10 }, (_, i) => put(`r${round}-new-${i}.bin`, data))),
      ]);
      expect(deletes.every((st) => st === 200)).toBe(true);

      const remaining = await filesWithKey(hash);
      expect(remaining.sort()).toEqual(uploads.map((u) => u.id).sort());
      const row = await blobRow(hash);
      const inStore = await blobsFor(hash);
      // Blob present iff at least one file remains, exactly one copy, and the count is right.
      expect(row?.refcount).toBe(remaining.length);
      expect(inStore).toEqual(row ? [row.location] : []);
      for (const id of remaining) {
        const got = await download(id);
        expect(got.status).toBe(200);
        expect(got.body.equals(data)).toBe(true);
      }
      // Now delete the rest, racing with nothing: the blob must go.
      await Promise.all(remaining.map((id) => del(id)));
      expect(await blobRow(hash)).toBeUndefined();
      expect(await blobsFor(hash)).toEqual([]);
    }
    expect(await pendingUploads(s)).toBe(0);
  });

  it('concurrent deletes of every file racing uploads that end with none left', async () => {
    // Uploads and deletes interleaved so that the refcount touches zero while uploads are in flight.
    const data = randomBytes(256 * 1024);
    const hash = sha256(data);
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const f = await put(`churn-${i}.bin`, data);
        ids.push(f.id);
        expect(await del(f.id)).toBe(200);
      }),
    );
    expect(await filesWithKey(hash)).toEqual([]);
    expect(await blobRow(hash)).toBeUndefined();
    expect(await blobsFor(hash)).toEqual([]);
    for (const id of ids) expect((await download(id)).status).toBe(404);
  });

  it('the database and the blob store agree at the end: every blob row has exactly its stored copy', async () => {
    const rows = await s.app.runtime.db
      .selectFrom('blobs')
      .select(['location', 'refcount', 'key'])
      .execute();
    const files = await s.app.runtime.db.selectFrom('files').select('blob_key').execute();
    const stored = rows.filter((r) => r.location !== 'inline');
    expect(await storedLocations(s)).toEqual(stored.map((r) => r.location).sort());
    for (const r of rows)
      expect(Number(r.refcount)).toBe(files.filter((f) => f.blob_key === r.key).length);
  });
});
