import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryState } from '../../state/memory-state.js';
import { useTempSqlite } from '../../storage/db.test-helpers.js';
import { KyselyFileRepository } from '../../storage/file-repository.js';
import { MemoryBlobStore } from '../../storage/memory-blob-store.js';
import { KyselySeriesRepository } from '../../storage/series-repository.js';
import { KyselyTrafficRepository } from '../../storage/traffic-repository.js';
import type { Principal } from '../accounts.js';
import { FileService } from '../files.js';
import { bucketize, MAX_POINTS, SeriesService, type Series } from './series.js';
import { TrafficService } from './traffic.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** A fixed hour boundary (2026-01-10T00:00:00Z) so buckets are predictable. */
const T0 = Date.UTC(2026, 0, 10);

function sum(s: Series, k: keyof Omit<Series, 'timestamps'>): number {
  return s[k].reduce((a, b) => a + b, 0);
}

describe('time series: buckets by event time, queries by interval', () => {
  const db = useTempSqlite('stowage-series-');
  let now: number;
  beforeEach(() => void (now = T0));

  async function setup() {
    const files = new FileService(new KyselyFileRepository(db()), new MemoryBlobStore(), {
      maxFileSize: 1024 * 1024,
      allowAnonymousUploads: true,
      cacheTtlMs: 0,
      now: () => now,
    });
    const traffic = new TrafficService(
      new KyselyTrafficRepository(db()),
      new MemoryState(() => now),
      {
        flushMs: 3_600_000,
        now: () => now,
      },
    );
    const series = new SeriesService(new KyselySeriesRepository(db()), files, () =>
      traffic.flush(),
    );
    await db()
      .insertInto('users')
      .values({
        id: 'u-1',
        username: 'alice',
        password_hash: null,
        is_admin: 0,
        created_at: 0,
        email: null,
      })
      .execute();
    const alice: Principal = {
      userId: 'u-1',
      username: 'alice',
      isAdmin: false,
      keyHash: 'h',
      keyId: 'k',
      accessLevel: 'full',
    };
    const upload = async (text: string, uploader: Principal | null = null) =>
      (await files.upload({ body: Readable.from([Buffer.from(text)]), name: 'f.txt', uploader }))
        .file.id;
    return { files, traffic, series, alice, upload };
  }

  it('events land in the minute they happened, not the minute they were written', async () => {
    const t = await setup();
    const id = await t.upload('a');
    now = T0 + 10_000;
    t.traffic.download(id, 'a');
    t.traffic.sent(id, 100);
    now = T0 + MIN + 5_000;
    t.traffic.view(id, 'b');
    t.traffic.sent(id, 7, { exempt: true });
    now = T0 + 30 * MIN; // written much later
    await t.traffic.flush();
    const s = await t.series.file(id, { start: T0, end: T0 + 3 * MIN, intervalMinutes: 1 });
    expect(s.timestamps).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(s.downloads).toEqual([1, 0, 0]);
    expect(s.views).toEqual([0, 1, 0]);
    expect(s.bandwidth).toEqual([100, 7, 0]);
    expect(s.bandwidthPaid).toEqual([0, 7, 0]);
  });

  it('the points add up to the counters, unwritten events included', async () => {
    const t = await setup();
    const id = await t.upload('b');
    for (let i = 0; i < 50; i++) {
      now = T0 + i * 7 * MIN;
      t.traffic.download(id, `c${i % 20}`);
      t.traffic.view(id, `v${i % 9}`);
      t.traffic.sent(id, 10 + i, { exempt: i % 3 === 0 });
    }
    // Nothing flushed yet: the query flushes first.
    const s = await t.series.file(id, { start: T0, end: T0 + 24 * HOUR, intervalMinutes: 60 });
    const f = await t.files.get(id);
    expect(s.timestamps).toHaveLength(24);
    expect(s.timestamps[1]! - s.timestamps[0]!).toBe(HOUR);
    expect(sum(s, 'downloads')).toBe(f.downloads);
    expect(sum(s, 'views')).toBe(f.views);
    expect(sum(s, 'bandwidth')).toBe(f.bandwidthUsed);
    expect(sum(s, 'bandwidthPaid')).toBe(f.bandwidthPaid);
    expect(f.downloads).toBe(20);
    expect(f.views).toBe(9);
  });

  it('points are aligned to the interval and zero-filled; start is rounded down', async () => {
    const t = await setup();
    const id = await t.upload('c');
    now = T0 + 17 * MIN;
    t.traffic.download(id, 'a');
    const s = await t.series.file(id, {
      start: T0 + 3 * MIN + 123,
      end: T0 + 31 * MIN,
      intervalMinutes: 15,
    });
    expect(s.timestamps).toEqual([T0, T0 + 15 * MIN, T0 + 30 * MIN]);
    expect(s.downloads).toEqual([0, 1, 0]);
    const empty = await t.series.file(id, { start: T0 + HOUR, end: T0, intervalMinutes: 5 });
    expect(empty.timestamps).toEqual([]);
  });

  it('the number of points is capped: a longer range keeps the latest points', async () => {
    const t = await setup();
    const id = await t.upload('d');
    now = T0 - MIN;
    t.traffic.download(id, 'a');
    const s = await t.series.file(id, {
      start: T0 - 365 * 24 * HOUR,
      end: T0,
      intervalMinutes: 1,
    });
    expect(s.timestamps).toHaveLength(MAX_POINTS);
    expect(s.timestamps.at(-1)).toBe(T0 - MIN);
    expect(s.downloads.at(-1)).toBe(1);
  });

  it("a user's series sums their files; anonymous files count for no one", async () => {
    const t = await setup();
    const mine1 = await t.upload('e1', t.alice);
    const mine2 = await t.upload('e2', t.alice);
    const anon = await t.upload('e3');
    now = T0 + 5 * MIN;
    for (const id of [mine1, mine2, anon]) {
      t.traffic.download(id, 'a');
      t.traffic.sent(id, 1000);
    }
    const s = await t.series.user(t.alice, { start: T0, end: T0 + HOUR, intervalMinutes: 60 });
    expect(s.downloads).toEqual([2]);
    expect(s.bandwidth).toEqual([2000]);
    // Another user sees nothing of hers.
    const bob = { ...t.alice, userId: 'u-2' };
    const other = await t.series.user(bob, { start: T0, end: T0 + HOUR, intervalMinutes: 60 });
    expect(other.downloads).toEqual([0]);
  });

  it('deleting a file deletes its series; a missing file is not_found', async () => {
    const t = await setup();
    const id = await t.upload('f', t.alice);
    t.traffic.download(id, 'a');
    await t.traffic.flush();
    const count = async () =>
      Number(
        (
          await db()
            .selectFrom('file_traffic')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('file_id', '=', id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count()).toBe(1);
    await t.files.deleteAsAdmin(id);
    expect(await count()).toBe(0);
    await expect(
      t.series.file(id, { start: T0, end: T0 + HOUR, intervalMinutes: 1 }),
    ).rejects.toMatchObject({ code: 'not_found' });
    // The owner's series keeps what happened while the file existed.
    const s = await t.series.user(t.alice, { start: T0, end: T0 + HOUR, intervalMinutes: 60 });
    expect(s.downloads).toEqual([1]);
  });

  it('an interval outside 1..1440 is a bug of the caller', async () => {
    const t = await setup();
    const id = await t.upload('g');
    await expect(
      t.series.file(id, { start: T0, end: T0 + HOUR, intervalMinutes: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      t.series.file(id, { start: T0, end: T0 + HOUR, intervalMinutes: 1441 }),
    ).rejects.toThrow(RangeError);
  });

  it('bucketize: coarser rows land whole in the point their start falls in', () => {
    const rows = [
      { resolution: 1440, bucket: T0, views: 5, downloads: 1, bandwidth: 10, bandwidthPaid: 0 },
      {
        resolution: 60,
        bucket: T0 + 2 * HOUR,
        views: 1,
        downloads: 2,
        bandwidth: 3,
        bandwidthPaid: 3,
      },
      {
        resolution: 1,
        bucket: T0 + 3 * HOUR + MIN,
        views: 0,
        downloads: 4,
        bandwidth: 0,
        bandwidthPaid: 0,
      },
      // Outside the range: ignored.
      {
        resolution: 1,
        bucket: T0 + 4 * HOUR,
        views: 9,
        downloads: 9,
        bandwidth: 9,
        bandwidthPaid: 9,
      },
    ];
    const s = bucketize(rows, T0, HOUR, 4);
    expect(s.views).toEqual([5, 0, 1, 0]);
    expect(s.downloads).toEqual([1, 0, 2, 4]);
    expect(s.bandwidthPaid).toEqual([0, 0, 3, 0]);
  });
});
