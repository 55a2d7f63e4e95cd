import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/**
 * Inactivity expiry with an injected clock (issue 15): a file not downloaded for
 * STOWAGE_FILE_EXPIRY_DAYS is deleted by the sweeper; a download of more than 10% of it resets
 * the timer; exempt accounts keep theirs; Chevereto's earlier expiration still applies.
 */

const DAY = 86_400_000;
const T0 = Date.UTC(2031, 0, 1);
let now = T0;
let s: TestServer;
let userKey: string;
let exemptKey: string;

beforeAll(async () => {
  s = await startServer(
    { fileExpiryDays: '10', expirySweepMs: 0, cheveretoAnyFile: true },
    undefined,
    { now: () => now },
  );
  userKey = await createUserWithKey(s, 'alice');
  exemptKey = await createUserWithKey(s, 'keeper');
  const keeper = await s.app.runtime.core.accounts.userByName('keeper');
  await s.app.runtime.core.limits.accounts.set({ userId: null, name: 'cli' }, keeper.id, {
    expiryExempt: true,
  });
});
afterAll(() => s?.close());

const body = (tag: string) => Buffer.alloc(1000, tag);

async function put(name: string, key?: string): Promise<string> {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    body: new Uint8Array(body(name)),
    headers: key ? { authorization: basic(key) } : {},
  });
  expect(r.status).toBe(201);
  return String(((await r.json()) as { id: string }).id);
}

async function chevereto(expiration: string): Promise<string> {
  const r = await fetch(`${s.url}/api/1/upload`, {
    method: 'POST',
    body: new URLSearchParams({
      key: userKey,
      source: body(expiration).toString('base64'),
      expiration,
    }),
  });
  expect(r.status).toBe(200);
  return String(((await r.json()) as { image: { id_encoded: string } }).image.id_encoded);
}

async function deleteAfter(id: string): Promise<string | null> {
  const r = await fetch(`${s.url}/api/file/${id}/info`);
  if (r.status === 404) return null;
  return String(((await r.json()) as { delete_after_date: string }).delete_after_date);
}

/** GET the file (whole, or a range), read it all, then write the timer resets. */
async function download(id: string, range?: string): Promise<void> {
  const r = await fetch(`${s.url}/api/file/${id}`, range ? { headers: { range } } : {});
  expect([200, 206]).toContain(r.status);
  await r.arrayBuffer();
  // The bytes-sent hook runs when the response has ended.
  await new Promise((res) => setTimeout(res, 50));
  await s.app.runtime.core.limits.inactivity.flush();
}

const iso = (ms: number) => new Date(ms).toISOString();
const sweep = () => s.app.runtime.core.expiry.runOnce();

describe('inactivity expiry', () => {
  const ids: Record<string, string> = {};

  it('says when each file goes (delete_after_date)', async () => {
    ids.idle = await put('idle.bin', userKey);
    ids.anon = await put('anon.bin');
    ids.read = await put('read.bin', userKey);
    ids.peek = await put('peek.bin', userKey);
    ids.exempt = await put('exempt.bin', exemptKey);
    ids.oneDay = await chevereto('P1D');
    ids.oneYear = await chevereto('P1Y');
    expect(await deleteAfter(ids.idle)).toBe(iso(T0 + 10 * DAY));
    expect(await deleteAfter(ids.anon)).toBe(iso(T0 + 10 * DAY));
    expect(await deleteAfter(ids.exempt)).toBe('0001-01-01T00:00:00Z');
    // The earlier of Chevereto's expiration and the inactivity deadline.
    expect(await deleteAfter(ids.oneDay)).toBe(iso(T0 + DAY));
    expect(await deleteAfter(ids.oneYear)).toBe(iso(T0 + 10 * DAY));
    // UserInfo tells the period; 0 for an exempt account.
    const info = async (key: string) =>
      (
        (await (
          await fetch(`${s.url}/api/user`, { headers: { authorization: basic(key) } })
        ).json()) as { subscription: { file_expiry_days: number } }
      ).subscription.file_expiry_days;
    expect(await info(userKey)).toBe(10);
    expect(await info(exemptKey)).toBe(0);
  });

  it('Chevereto’s explicit expiration, earlier, still applies', async () => {
    now = T0 + DAY;
    expect(await sweep()).toBe(1);
    expect(await deleteAfter(ids.oneDay!)).toBeNull();
  });

  it('a download of more than 10% resets the timer; a smaller range does not', async () => {
    now = T0 + 5 * DAY;
    await download(ids.read!);
    await download(ids.peek!, 'bytes=0-99'); // 10%: not more than 10%
    expect(await deleteAfter(ids.read!)).toBe(iso(T0 + 15 * DAY));
    expect(await deleteAfter(ids.peek!)).toBe(iso(T0 + 10 * DAY));
    // Once a day at most: another download the same day changes nothing.
    now = T0 + 5 * DAY + 3600_000;
    await download(ids.read!);
    expect(await deleteAfter(ids.read!)).toBe(iso(T0 + 15 * DAY));
  });

  it('the sweeper deletes files at the configured age, not before', async () => {
    now = T0 + 10 * DAY - 1;
    expect(await sweep()).toBe(0);
    now = T0 + 10 * DAY;
    expect(await sweep()).toBe(4); // idle, anon, peek, oneYear
    for (const k of ['idle', 'anon', 'peek', 'oneYear']) {
      expect(await deleteAfter(ids[k]!), k).toBeNull();
    }
    expect(await deleteAfter(ids.read!)).toBe(iso(T0 + 15 * DAY));
    expect(await deleteAfter(ids.exempt!)).toBe('0001-01-01T00:00:00Z');
  });

  it('a downloaded file goes when its new deadline comes; an exempt account keeps its files', async () => {
    now = T0 + 15 * DAY;
    expect(await sweep()).toBe(1);
    expect(await deleteAfter(ids.read!)).toBeNull();
    now = T0 + 400 * DAY;
    expect(await sweep()).toBe(0);
    expect(await deleteAfter(ids.exempt!)).toBe('0001-01-01T00:00:00Z');
  });

  it('once exemption is lifted, the files expire by their timer', async () => {
    const keeper = await s.app.runtime.core.accounts.userByName('keeper');
    await s.app.runtime.core.limits.accounts.set({ userId: null, name: 'cli' }, keeper.id, {
      expiryExempt: false,
    });
    expect(await deleteAfter(ids.exempt!)).toBe(iso(T0 + 10 * DAY));
    expect(await sweep()).toBe(1);
  });
});
