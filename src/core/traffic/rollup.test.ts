import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openSqlite, type Db } from '../../storage/db.js';
import { KyselyLockRepository } from '../../storage/lock-repository.js';
import { KyselySeriesRepository } from '../../storage/series-repository.js';
import { KyselyTrafficRepository } from '../../storage/traffic-repository.js';
import { emptyDelta, type CounterDelta, type FileCounterDelta } from './records.js';
import { ROLLUP_LOCK, SeriesRollup } from './rollup.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 5, 1, 12, 30);

describe('SeriesRollup: minutes into hours into days', () => {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-rollup-'));
    db = openSqlite(dir);
    await migrate(db);
    await db
      .insertInto('users')
      .values({
        id: 'u1',
        username: 'u1',
        password_hash: null,
        is_admin: 0,
        created_at: 0,
        email: null,
      })
      .execute();
    await db
      .insertInto('blobs')
      .values({ key: 'k', location: 'l', size: 1, refcount: 2, data: null, created_at: 0 })
      .execute();
    for (const [id, owner] of [
      ['f1', 'u1'],
      ['f2', null],
    ] as const) {
      await db
        .insertInto('files')
        .values({
          id,
          name: 'n',
          size: 1,
          mime_type: 'text/plain',
          blob_key: 'k',
          owner_id: owner,
          delete_key_hash: null,
          created_at: 0,
          last_view_at: 0,
        })
        .execute();
    }
  });
  afterEach(async () => {
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Write events (file, epoch ms, delta) through the real counter path. */
  async function write(events: [string, number, Partial<CounterDelta>][]): Promise<void> {
    const batch = new Map<string, FileCounterDelta>();
    for (const [id, at, d] of events) {
      let f = batch.get(id);
      if (!f) batch.set(id, (f = { ...emptyDelta(), minutes: new Map() }));
      const minute = at - (at % MIN);
      const m = f.minutes.get(minute) ?? emptyDelta();
      f.minutes.set(minute, m);
      for (const k of ['views', 'downloads', 'bandwidth', 'bandwidthPaid'] as const) {
        f[k] += d[k] ?? 0;
        m[k] += d[k] ?? 0;
      }
    }
    await new KyselyTrafficRepository(db).addCounters(batch, NOW);
  }

  async function rows(table: 'file_traffic' | 'user_traffic') {
    const r = await db
      .selectFrom(table)
      .selectAll()
      .orderBy('resolution')
      .orderBy('bucket')
      .execute();
    return r.map((x) => ({
      owner:
        (x as { file_id?: string; user_id?: string }).file_id ??
        (x as { user_id?: string }).user_id,
      res: Number(x.resolution),
      bucket: Number(x.bucket),
      downloads: Number(x.downloads),
      bandwidth: Number(x.bandwidth),
    }));
  }

  function rollup(now = NOW) {
    return new SeriesRollup(new KyselySeriesRepository(db), new KyselyLockRepository(db), {
      minuteDays: 2,
      hourDays: 60,
      intervalMs: 0,
      now: () => now,
    });
  }

  it('moves minutes older than 2 days into hours, summed; newer minutes stay', async () => {
    const old = NOW - 3 * DAY; // 2026-05-29 12:30
    const hour = old - (old % HOUR);
    await write([
      ['f1', old + 1 * MIN, { downloads: 1, bandwidth: 10 }],
      ['f1', old + 2 * MIN, { downloads: 2, bandwidth: 20 }],
      ['f1', old + 40 * MIN, { downloads: 4, bandwidth: 40 }], // the next hour
      ['f2', old + 3 * MIN, { downloads: 8 }],
      ['f1', NOW - HOUR, { downloads: 16 }], // recent: stays a minute
    ]);
    const moved = await rollup().runOnce();
    expect(moved).toBe(4 + 3); // file rows + user rows
    expect(await rows('file_traffic')).toEqual([
      { owner: 'f1', res: 1, bucket: NOW - HOUR, downloads: 16, bandwidth: 0 },
      { owner: 'f1', res: 60, bucket: hour, downloads: 3, bandwidth: 30 },
      { owner: 'f2', res: 60, bucket: hour, downloads: 8, bandwidth: 0 },
      { owner: 'f1', res: 60, bucket: hour + HOUR, downloads: 4, bandwidth: 40 },
    ]);
    expect(await rows('user_traffic')).toEqual([
      { owner: 'u1', res: 1, bucket: NOW - HOUR, downloads: 16, bandwidth: 0 },
      { owner: 'u1', res: 60, bucket: hour, downloads: 3, bandwidth: 30 },
      { owner: 'u1', res: 60, bucket: hour + HOUR, downloads: 4, bandwidth: 40 },
    ]);
  });

  it('is idempotent: a second run moves nothing and changes nothing', async () => {
    await write([
      ['f1', NOW - 5 * DAY, { downloads: 1 }],
      ['f1', NOW - 5 * DAY + MIN, { downloads: 1 }],
    ]);
    expect(await rollup().runOnce()).toBe(4);
    const after = await rows('file_traffic');
    expect(await rollup().runOnce()).toBe(0);
    expect(await rows('file_traffic')).toEqual(after);
  });

  it('adds to an hour already rolled up (minutes written late for it)', async () => {
    const t = NOW - 3 * DAY;
    await write([['f1', t, { downloads: 1 }]]);
    await rollup().runOnce();
    await write([['f1', t + MIN, { downloads: 2 }]]);
    await rollup().runOnce();
    const r = (await rows('file_traffic')).filter((x) => x.res === 60);
    expect(r).toHaveLength(1);
    expect(r[0]!.downloads).toBe(3);
  });

  it('moves hours older than 60 days into days, at UTC midnight', async () => {
    const t = NOW - 70 * DAY;
    const day = t - (t % DAY);
    await write([
      ['f1', day + 1 * HOUR, { downloads: 1 }],
      ['f1', day + 23 * HOUR + 59 * MIN, { downloads: 2 }],
      ['f1', day + DAY + 5 * HOUR, { downloads: 4 }],
    ]);
    await rollup().runOnce();
    expect(
      (await rows('file_traffic')).map(({ res, bucket, downloads }) => [res, bucket, downloads]),
    ).toEqual([
      [1440, day, 3],
      [1440, day + DAY, 4],
    ]);
  });

  it('the sums are the same before and after', async () => {
    const events: [string, number, Partial<CounterDelta>][] = [];
    for (let i = 0; i < 300; i++) {
      events.push([
        i % 2 ? 'f1' : 'f2',
        NOW - i * 37 * MIN * 9,
        { downloads: i, bandwidth: i * 3 },
      ]);
    }
    await write(events);
    const total = async () =>
      (await rows('file_traffic')).reduce(
        (a, r) => [a[0]! + r.downloads, a[1]! + r.bandwidth],
        [0, 0],
      );
    const before = await total();
    await rollup().runOnce();
    expect(await total()).toEqual(before);
    const res = new Set((await rows('file_traffic')).map((r) => r.res));
    expect(res).toEqual(new Set([1, 60, 1440]));
  });

  it('skips the gaps between old buckets (one transaction per chunk with rows)', async () => {
    await write([
      ['f1', NOW - 5 * 365 * DAY, { downloads: 1 }],
      ['f1', NOW - 3 * DAY, { downloads: 2 }],
    ]);
    const repo = new KyselySeriesRepository(db);
    let calls = 0;
    const counting = Object.assign(Object.create(repo) as KyselySeriesRepository, {
      rollup: (...a: Parameters<KyselySeriesRepository['rollup']>) => (calls++, repo.rollup(...a)),
    });
    const r = new SeriesRollup(counting, new KyselyLockRepository(db), {
      minuteDays: 2,
      hourDays: 60,
      intervalMs: 0,
      now: () => NOW,
    });
    expect(await r.runOnce()).toBe(4 + 2); // 2 minute rows (file + user each), then 1 hour (both)
    expect(calls).toBe(3);
    const res = (await rows('file_traffic')).map((x) => [x.res, x.downloads]);
    expect(res).toEqual([
      [60, 2],
      [1440, 1],
    ]);
  });

  it('does nothing while another node holds the lease', async () => {
    await write([['f1', NOW - 5 * DAY, { downloads: 1 }]]);
    const locks = new KyselyLockRepository(db);
    expect(await locks.tryAcquire(ROLLUP_LOCK, 'other-node', 60_000, NOW)).toBe(true);
    expect(await rollup().runOnce()).toBe(0);
    expect((await rows('file_traffic'))[0]!.res).toBe(1);
    // The lease runs out: this node takes over.
    expect(await rollup(NOW + 61_000).runOnce()).toBe(2);
  });
});
