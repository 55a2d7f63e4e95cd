import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryState } from '../../state/memory-state.js';
import { useTempSqlite } from '../../storage/db.test-helpers.js';
import { KyselyFileRepository } from '../../storage/file-repository.js';
import { MemoryBlobStore } from '../../storage/memory-blob-store.js';
import { KyselyTrafficRepository } from '../../storage/traffic-repository.js';
import { FileService } from '../files.js';
import type { SharedState } from '../shared-state.js';
import { OncePerClient } from './marks.js';
import { TrafficService } from './traffic.js';

describe('TrafficService: views, downloads and bandwidth', () => {
  const db = useTempSqlite('stowage-traffic-');
  let now: number;

  beforeEach(() => void (now = Date.now()));

  /** Files on the real repositories (temp SQLite); one uploaded file. */
  async function setup(state: SharedState = new MemoryState(() => now)) {
    const files = new FileService(new KyselyFileRepository(db()), new MemoryBlobStore(), {
      maxFileSize: 1024 * 1024,
      allowAnonymousUploads: true,
      cacheTtlMs: 0,
    });
    // Nothing is written behind the test's back: flush() does it.
    const traffic = new TrafficService(new KyselyTrafficRepository(db()), state, {
      flushMs: 60_000,
      now: () => now,
    });
    const upload = async (text: string) =>
      (
        await files.upload({
          body: Readable.from([Buffer.from(text)]),
          name: 'f.txt',
          uploader: null,
        })
      ).file.id;
    return { files, traffic, upload, id: await upload('some bytes to download') };
  }

  async function counts(t: Awaited<ReturnType<typeof setup>>, id: string) {
    await t.traffic.flush();
    const f = await t.files.get(id);
    return {
      views: f.views,
      downloads: f.downloads,
      bandwidth: f.bandwidthUsed,
      paid: f.bandwidthPaid,
    };
  }

  it('a client downloading again (or in ranges) counts once; bandwidth always adds', async () => {
    const t = await setup();
    for (let i = 0; i < 8; i++) {
      t.traffic.download(t.id, '198.51.100.7');
      t.traffic.sent(t.id, 100);
    }
    expect(await counts(t, t.id)).toMatchObject({ downloads: 1, bandwidth: 800 });
    // Still the same client after the counters were written: still once.
    t.traffic.download(t.id, '198.51.100.7');
    t.traffic.sent(t.id, 50);
    expect(await counts(t, t.id)).toMatchObject({ downloads: 1, bandwidth: 850 });
  });

  it('other clients count again; one client counts once per file, not once overall', async () => {
    const t = await setup();
    const other = await t.upload('other content');
    for (const c of ['a', 'b', 'a', 'b']) t.traffic.download(t.id, c);
    t.traffic.download(other, 'a');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 2 });
    expect(await counts(t, other)).toMatchObject({ downloads: 1 });
  });

  it('views count once per client a day, apart from downloads, and set the last view time', async () => {
    const t = await setup();
    const before = (await t.files.get(t.id)).lastViewAt;
    now += 5000;
    t.traffic.view(t.id, 'a');
    t.traffic.view(t.id, 'a');
    t.traffic.view(t.id, 'b');
    t.traffic.download(t.id, 'a');
    expect(await counts(t, t.id)).toMatchObject({ views: 2, downloads: 1 });
    const f = await t.files.get(t.id);
    expect(f.lastViewAt).toBe(now);
    expect(f.lastViewAt).toBeGreaterThan(before);
    // Downloads alone leave the last view time alone.
    now += 5000;
    t.traffic.download(t.id, 'c');
    await counts(t, t.id);
    expect((await t.files.get(t.id)).lastViewAt).toBe(f.lastViewAt);
  });

  it('bytes sent to exempt downloaders count as paid bandwidth too', async () => {
    const t = await setup();
    t.traffic.sent(t.id, 100);
    t.traffic.sent(t.id, 30, { exempt: true });
    expect(await counts(t, t.id)).toMatchObject({ bandwidth: 130, paid: 30 });
  });

  it('without a client id every download counts', async () => {
    const t = await setup();
    t.traffic.download(t.id, undefined);
    t.traffic.download(t.id, undefined);
    expect(await counts(t, t.id)).toMatchObject({ downloads: 2 });
  });

  it('asks the shared state once per client and file, however many requests', async () => {
    const inner = new MemoryState(() => now);
    let claims = 0;
    const state: SharedState = {
      increment: (k, w) => inner.increment(k, w),
      claim: (k, ttl) => (claims++, inner.claim(k, ttl)),
      exists: (k) => inner.exists(k),
      close: () => inner.close(),
    };
    const t = await setup(state);
    for (let i = 0; i < 50; i++) t.traffic.download(t.id, 'a');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 1 });
    expect(claims).toBe(1);
  });

  it('another node marked the client first: this node does not count it', async () => {
    const shared = new MemoryState(() => now);
    const t = await setup(shared);
    await shared.claim(`dl:${t.id}:a`, 24 * 3600 * 1000);
    t.traffic.download(t.id, 'a');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 0 });
  });

  it('when the shared state fails, the download counts (best effort, never lost)', async () => {
    const broken: SharedState = {
      increment: () => Promise.reject(new Error('state down')),
      claim: () => Promise.reject(new Error('state down')),
      exists: () => Promise.reject(new Error('state down')),
      close: () => Promise.resolve(),
    };
    const t = await setup(broken);
    t.traffic.download(t.id, 'a');
    t.traffic.download(t.id, 'b');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 2 });
  });

  it('the once-per-client mark lasts a day', async () => {
    const t = await setup();
    t.traffic.download(t.id, 'a');
    now += 24 * 3600 * 1000 - 1;
    t.traffic.download(t.id, 'a');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 1 });
    now += 1;
    t.traffic.download(t.id, 'a');
    expect(await counts(t, t.id)).toMatchObject({ downloads: 2 });
  });

  it('a deleted file in the batch does not stop the others being written', async () => {
    const t = await setup();
    const other = await t.upload('other');
    t.traffic.download(t.id, 'a');
    t.traffic.download(other, 'a');
    await t.files.deleteAsAdmin(other);
    expect(await counts(t, t.id)).toMatchObject({ downloads: 1 });
  });

  it('a repeat this node has seen is known without asking the shared state', async () => {
    const marks = new OncePerClient(new MemoryState(() => now), { ttlMs: 1000, now: () => now });
    expect(marks.seenHere('dl:x', 'a')).toBe(false);
    expect(await marks.first('dl:x', 'a')).toBe(true);
    expect(marks.seenHere('dl:x', 'a')).toBe(true);
    expect(marks.seenHere('dl:x', 'b')).toBe(false);
    expect(marks.seenHere('dl:y', 'a')).toBe(false);
    // No client: nothing to de-duplicate on, never "seen".
    expect(marks.seenHere('dl:x', undefined)).toBe(false);
    now += 1001;
    expect(marks.seenHere('dl:x', 'a')).toBe(false);
  });
});
