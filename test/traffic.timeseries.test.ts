import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesRollup } from '../src/core/traffic/index.js';
import { emptyDelta, type FileCounterDelta } from '../src/core/traffic/records.js';
import { KyselyLockRepository } from '../src/storage/lock-repository.js';
import { KyselySeriesRepository } from '../src/storage/series-repository.js';
import { KyselyTrafficRepository } from '../src/storage/traffic-repository.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

interface Info {
  id: string;
  size: number;
  views: number;
  downloads: number;
  bandwidth_used: number;
  bandwidth_used_paid: number;
}
interface TimeSeries {
  timestamps: string[];
  amounts: number[];
}
type FileSeries = Record<'views' | 'downloads' | 'bandwidth' | 'bandwidth_paid', TimeSeries>;

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const sum = (s: TimeSeries) => s.amounts.reduce((a, b) => a + b, 0);

/** GET from a given loopback source address (each is another client). */
function getFrom(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('time series routes', () => {
  let s: TestServer;
  let key: string;
  let owned: Info;
  let anon: Info;
  const BODY = 'x'.repeat(1000);

  const upload = async (name: string, auth: string | null): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${name}`, {
      method: 'PUT',
      body: BODY + name,
      headers: auth ? { Authorization: basic(auth) } : {},
    });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    return info(id);
  };
  const info = async (id: string): Promise<Info> =>
    (await (await fetch(`${s.url}/api/file/${id}/info`)).json()) as Info;
  const range = (hours = 1) => {
    const end = new Date(Date.now() + MIN).toISOString();
    const start = new Date(Date.now() - hours * 60 * MIN).toISOString();
    return { start, end };
  };
  const series = (id: string, q: Record<string, string>) =>
    fetch(`${s.url}/api/file/${id}/timeseries?${new URLSearchParams(q)}`);

  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'charts');
    owned = await upload('owned.txt', key);
    anon = await upload('anon.txt', null);
    // Five clients download the owned file, one of them twice and one in a range; two the other.
    for (let i = 2; i <= 6; i++) {
      const r = await getFrom(`${s.url}/api/file/${owned.id}`, `127.0.0.${i}`);
      expect(r.status).toBe(200);
    }
    expect((await getFrom(`${s.url}/api/file/${owned.id}`, '127.0.0.2')).status).toBe(200);
    const part = await getFrom(`${s.url}/api/file/${owned.id}`, '127.0.0.7', {
      Range: 'bytes=0-99',
    });
    expect(part.status).toBe(206);
    for (const a of ['127.0.0.2', '127.0.0.8']) {
      expect((await getFrom(`${s.url}/api/file/${anon.id}`, a)).status).toBe(200);
    }
    // Views (the websocket's job; here the core directly) and bytes sent to an exempt client.
    const { traffic } = s.app.runtime.core;
    for (const c of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']) traffic.view(owned.id, c);
    traffic.view(anon.id, '10.0.0.1');
    traffic.sent(owned.id, 123, { exempt: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the points add up to the counters, in pixeldrain shape', async () => {
    const expectedBandwidth = 6 * owned.size + 100 + 123;
    // The last bytes are counted when each response ends: wait for them.
    let body: FileSeries | null = null;
    await expect
      .poll(async () => {
        const r = await series(owned.id, { ...range(), interval: '1' });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        body = (await r.json()) as FileSeries;
        return sum(body.bandwidth);
      })
      .toBe(expectedBandwidth);
    const b = body!;
    expect(Object.keys(b)).toEqual(['views', 'downloads', 'bandwidth', 'bandwidth_paid']);
    for (const k of Object.keys(b) as (keyof FileSeries)[]) {
      expect(Object.keys(b[k])).toEqual(['timestamps', 'amounts']);
      expect(b[k].timestamps).toHaveLength(b[k].amounts.length);
      expect(b[k].timestamps.length).toBeGreaterThanOrEqual(61);
      for (const t of b[k].timestamps) {
        expect(t).toMatch(ISO_MS);
        expect(Date.parse(t) % MIN).toBe(0);
      }
    }
    const f = await info(owned.id);
    expect(f).toMatchObject({ views: 3, downloads: 6, bandwidth_used_paid: 123 });
    expect(sum(b.views)).toBe(f.views);
    expect(sum(b.downloads)).toBe(f.downloads);
    expect(sum(b.bandwidth)).toBe(f.bandwidth_used);
    expect(sum(b.bandwidth_paid)).toBe(f.bandwidth_used_paid);
  });

  it('coarser intervals keep the sums; a day interval is aligned to UTC midnight', async () => {
    const f = await info(owned.id);
    for (const interval of ['60', '1440']) {
      const r = await series(owned.id, { ...range(48), interval });
      expect(r.status).toBe(200);
      const b = (await r.json()) as FileSeries;
      expect(sum(b.downloads)).toBe(f.downloads);
      expect(sum(b.views)).toBe(f.views);
      const step = Number(interval) * MIN;
      expect(Date.parse(b.views.timestamps[0]!) % step).toBe(0);
      expect(Date.parse(b.views.timestamps[1]!) - Date.parse(b.views.timestamps[0]!)).toBe(step);
    }
    // A numeric offset (encoded +) is RFC 3339 too; so is an unencoded + (read as a space).
    const start = '2000-01-01T02:00:00+02:00';
    const end = new Date(Date.now() + MIN).toISOString();
    const r1 = await fetch(
      `${s.url}/api/file/${owned.id}/timeseries?start=${start.replace('+', '%2B')}&end=${end}&interval=1440`,
    );
    const r2 = await fetch(
      `${s.url}/api/file/${owned.id}/timeseries?start=${start}&end=${end}&interval=1440`,
    );
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(200);
    const b1 = (await r1.json()) as FileSeries;
    expect(b1.downloads.timestamps[0]).toBe('2000-01-01T00:00:00.000Z');
    expect(sum(b1.downloads)).toBe(f.downloads);
    expect(await r2.json()).toEqual(b1);
  });

  it('answers pixeldrain errors for bad input and unknown files', async () => {
    const { start, end } = range();
    const cases: [Record<string, string>, number, string, Record<string, unknown>?][] = [
      [{ end, interval: '1' }, 400, 'missing_field', { field: 'start' }],
      [{ start, interval: '1' }, 400, 'missing_field', { field: 'end' }],
      [{ start, end }, 400, 'missing_field', { field: 'interval' }],
      [{ start: 'yesterday', end, interval: '1' }, 422, 'time_parse_failed', { field: 'start' }],
      [{ start, end: '2024-02-30T00:00:00Z', interval: '1' }, 422, 'time_parse_failed'],
      [{ start: '2024-01-01', end, interval: '1' }, 422, 'time_parse_failed'],
      [{ start, end, interval: 'ten' }, 422, 'integer_parse_failed', { field: 'interval' }],
      [{ start, end, interval: '1.5' }, 422, 'integer_parse_failed'],
      [
        { start, end, interval: '0' },
        422,
        'integer_out_of_range',
        { field: 'interval', min_val: 1, max_val: 1440 },
      ],
      [{ start, end, interval: '1441' }, 422, 'integer_out_of_range'],
      [{ start, end, interval: '-5' }, 422, 'integer_out_of_range'],
    ];
    for (const [q, status, value, extra] of cases) {
      const r = await series(owned.id, q);
      expect({ q, status: r.status }).toEqual({ q, status });
      const body = (await r.json()) as { success: boolean; value: string; extra?: unknown };
      expect(body).toMatchObject({ success: false, value });
      if (extra) expect(body.extra).toEqual(extra);
    }
    const missing = await series('nOtThErE', { start, end, interval: '1' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ value: 'not_found' });
    // An end before the start: no points.
    const none = await series(owned.id, { start: end, end: start, interval: '1' });
    expect(((await none.json()) as FileSeries).views).toEqual({ timestamps: [], amounts: [] });
  });

  it("the user's series sums the files they own", async () => {
    const f = await info(owned.id);
    const user = async (stat: string, auth: string | null = key, q = range()) =>
      fetch(
        `${s.url}/api/user/time_series/${stat}?${new URLSearchParams({ ...q, interval: '60' })}`,
        {
          headers: auth ? { Authorization: basic(auth) } : {},
        },
      );
    const expected: Record<string, number> = {
      views: f.views,
      downloads: f.downloads,
      bandwidth: f.bandwidth_used,
      transfer_paid: f.bandwidth_used_paid,
    };
    for (const [stat, total] of Object.entries(expected)) {
      const r = await user(stat);
      expect(r.status).toBe(200);
      const b = (await r.json()) as TimeSeries;
      expect(Object.keys(b)).toEqual(['timestamps', 'amounts']);
      expect(b.timestamps.every((t) => ISO_MS.test(t))).toBe(true);
      expect({ stat, total: sum(b) }).toEqual({ stat, total });
    }
    const other = await createUserWithKey(s, 'nobody');
    expect(sum((await (await user('downloads', other)).json()) as TimeSeries)).toBe(0);
    const anonymous = await user('views', null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ value: 'authentication_required' });
    const unknown = await user('bandwidth_paid');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ value: 'invalid_endpoint' });
    const bad = await fetch(`${s.url}/api/user/time_series/views?start=x`, {
      headers: { Authorization: basic(key) },
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ value: 'time_parse_failed' });
  });

  it("rolled-up buckets still answer, with the same sums (this stack's database)", async () => {
    const { db } = s.app.runtime;
    const now = Date.now();
    const old = now - 80 * DAY;
    // The start of old's (UTC) day: both minutes below fall in one day whatever the hour now.
    const minute = old - (old % DAY);
    const batch = new Map<string, FileCounterDelta>([
      [
        anon.id,
        {
          ...emptyDelta(),
          downloads: 5,
          minutes: new Map([
            [minute, { ...emptyDelta(), downloads: 2 }],
            [minute + 61 * MIN, { ...emptyDelta(), downloads: 3 }],
          ]),
        },
      ],
    ]);
    await new KyselyTrafficRepository(db).addCounters(batch, now);
    const rollup = new SeriesRollup(new KyselySeriesRepository(db), new KyselyLockRepository(db), {
      minuteDays: 2,
      hourDays: 60,
      intervalMs: 0,
    });
    expect(await rollup.runOnce()).toBeGreaterThanOrEqual(2);
    expect(await rollup.runOnce()).toBe(0);
    const rows = await db
      .selectFrom('file_traffic')
      .select(['resolution', 'downloads'])
      .where('file_id', '=', anon.id)
      .where('bucket', '<', now - 60 * DAY)
      .execute();
    expect(rows.map((r) => [Number(r.resolution), Number(r.downloads)])).toEqual([[1440, 5]]);
    const r = await series(anon.id, {
      start: new Date(old - DAY).toISOString(),
      end: new Date(now + MIN).toISOString(),
      interval: '1440',
    });
    const b = (await r.json()) as FileSeries;
    const f = await info(anon.id);
    expect(sum(b.downloads)).toBe(f.downloads);
    expect(f.downloads).toBe(2 + 5);
  });

  it('deleting a file deletes its series', async () => {
    const f = await upload('gone.txt', key);
    expect((await getFrom(`${s.url}/api/file/${f.id}`, '127.0.0.9')).status).toBe(200);
    await s.app.runtime.core.traffic.flush();
    const count = async () =>
      Number(
        (
          await s.app.runtime.db
            .selectFrom('file_traffic')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('file_id', '=', f.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    await expect.poll(count).toBeGreaterThan(0);
    const del = await fetch(`${s.url}/api/file/${f.id}`, {
      method: 'DELETE',
      headers: { Authorization: basic(key) },
    });
    expect(del.status).toBe(200);
    expect(await count()).toBe(0);
    expect((await series(f.id, { ...range(), interval: '1' })).status).toBe(404);
  });
});
