import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { describe, expect, it } from 'vitest';
import { MemoryState } from '../../state/memory-state.js';
import type { FileRecord } from '../records.js';
import type { SharedState } from '../shared-state.js';
import type { Telemetry, TelemetryEvent } from '../telemetry.js';
import { AltchaCaptcha, parsePayload } from './captcha.js';
import { DAY_MS, IpUsage } from './ip-usage.js';
import type { AccountFlags } from './records.js';
import type { RulesOptions } from './admission.js';
import { RulesService } from './rules.js';
import { TrafficService } from './traffic.js';

const file = (over: Partial<FileRecord> = {}): FileRecord =>
  ({ id: 'f1', ownerId: null, views: 0, downloads: 0, ...over }) as FileRecord;

function setup(opts: Partial<RulesOptions> = {}, flags: Record<string, AccountFlags> = {}) {
  let now = 1_000_000_000_000;
  const clock = () => now;
  const state = new MemoryState(clock);
  const traffic = new TrafficService({ addCounters: async () => {} }, state, {
    now: clock,
    flushMs: 60_000,
  });
  const events: TelemetryEvent[] = [];
  const telemetry: Telemetry = { event: (e) => void events.push(e), gauge() {} };
  let lookups = 0;
  const captcha = new AltchaCaptcha(async () => 'k'.repeat(32), state, { difficulty: 500 });
  const rules = new RulesService(
    traffic,
    state,
    captcha,
    async (id) => (lookups++, flags[id] ?? null),
    telemetry,
    {
      hotlink: { factor: 3, minDownloads: 10 },
      captcha: true,
      ipDownloadLimit: 0,
      ipTransferLimit: 0,
      ipLimitAction: 'captcha',
      ipSpeedLimit: 1000,
      now: clock,
      flushMs: 60_000,
      ...opts,
    },
  );
  return {
    rules,
    state,
    traffic,
    events,
    captcha,
    lookups: () => lookups,
    advance: (ms: number) => void (now += ms),
  };
}

async function payload(captcha: AltchaCaptcha): Promise<string> {
  const challenge = await captcha.challenge();
  const solution = await solveChallenge({ challenge, deriveKey });
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

describe('RulesService', () => {
  it('an anonymous download of a file nobody owns costs no lookup at all', async () => {
    const t = setup();
    const a = await t.rules.admit(
      file({ downloads: 5 }),
      { client: 'c', userId: null },
      {
        starts: true,
      },
    );
    expect(a).toEqual({ refused: '', exempt: false, speedLimit: 0 });
    expect(t.lookups()).toBe(0);
  });

  it('downloads not yet written count toward the rule', async () => {
    const t = setup();
    const f = file({ downloads: 9 });
    expect(t.rules.hotlinked(f)).toBe(false);
    t.traffic.download(f.id, 'someone');
    await new Promise((r) => setTimeout(r, 10));
    expect(t.rules.hotlinked(f)).toBe(true);
    expect(await t.rules.availability(f, { client: 'c' })).toBe(
      'file_rate_limited_captcha_required',
    );
    expect(t.events).toEqual([]);
    await t.rules.admit(f, { client: 'c' }, { starts: true });
    expect(t.events).toEqual(['hotlink_refused']);
  });

  it('the owner, an exempt account and the files of a hotlinking uploader pass, as paid', async () => {
    const t = setup({}, { fan: { hotlinkExempt: true, hotlinkingEnabled: false } });
    const tripped = file({ downloads: 20, ownerId: 'owner' });
    for (const userId of ['owner', 'fan']) {
      const a = await t.rules.admit(tripped, { client: 'c', userId }, { starts: true });
      expect(a).toMatchObject({ refused: '', exempt: true });
    }
    // The account is only looked up when needed, and lazily.
    let asked = 0;
    const lazy = async () => (asked++, 'stranger');
    expect(
      (await t.rules.admit(tripped, { client: 'c', userId: lazy }, { starts: true })).refused,
    ).toBe('file_rate_limited_captcha_required');
    expect(asked).toBe(1);

    const t2 = setup({}, { up: { hotlinkExempt: false, hotlinkingEnabled: true } });
    const theirs = file({ downloads: 20, ownerId: 'up' });
    expect(await t2.rules.admit(theirs, { client: 'c' }, { starts: true })).toMatchObject({
      refused: '',
      exempt: true,
    });
  });

  it('a captcha grants that client that file; a replay by another client fails', async () => {
    const t = setup();
    const f = file({ downloads: 20 });
    const p = await payload(t.captcha);
    expect((await t.rules.admit(f, { client: 'c' }, { captcha: p, starts: true })).refused).toBe(
      '',
    );
    expect((await t.rules.admit(f, { client: 'c' }, { starts: false })).refused).toBe('');
    expect((await t.rules.admit(f, { client: 'c' }, { captcha: p, starts: false })).refused).toBe(
      '',
    );
    expect((await t.rules.admit(f, { client: 'd' }, { captcha: p, starts: true })).refused).toBe(
      'captcha_failed',
    );
    expect(
      (await t.rules.admit(file({ id: 'f2', downloads: 20 }), { client: 'c' }, { starts: true }))
        .refused,
    ).toBe('file_rate_limited_captcha_required');
    expect(t.events).toContain('captcha_solved');
    expect(t.events).toContain('captcha_failed');
    // The grant lasts an hour.
    t.advance(3600_000 + 1);
    expect((await t.rules.admit(f, { client: 'c' }, { starts: true })).refused).toBe(
      'file_rate_limited_captcha_required',
    );
  });

  it('per-IP limits: captcha refusals, a further allowance per captcha, exempt not counted', async () => {
    const t = setup({ ipDownloadLimit: 2 });
    const f = file();
    const admit = (client = 'c', starts = true) => t.rules.admit(f, { client }, { starts });
    expect((await admit()).refused).toBe('');
    // A further range of the same download does not count.
    expect((await admit('c', false)).refused).toBe('');
    expect((await admit()).refused).toBe('');
    expect((await admit()).refused).toBe('ip_download_limited_captcha_required');
    expect(t.rules.rateLimits('c')).toMatchObject({ download_limit: 2, download_limit_used: 2 });
    const p = await payload(t.captcha);
    expect((await t.rules.admit(f, { client: 'c' }, { captcha: p, starts: true })).refused).toBe(
      '',
    );
    expect(t.rules.rateLimits('c')).toMatchObject({ download_limit: 4, download_limit_used: 3 });
  });

  it('admitNow answers the common case at once, as admit would, and leaves every other to admit', async () => {
    const t = setup({ ipDownloadLimit: 2 });
    const who = { client: 'c' };
    // Nobody's file, not hotlinked, a client within its limit, no payload: served, and counted
    // as a download of that client's (the limit is reached after two).
    expect(t.rules.admitNow(file(), who, { starts: true })).toEqual({
      refused: '',
      exempt: false,
      speedLimit: 0,
    });
    expect(t.rules.admitNow(file(), who, { starts: false })?.refused).toBe('');
    expect(t.rules.admitNow(file(), who, { starts: true })?.refused).toBe('');
    expect(t.rules.admitNow(file(), who, { starts: true })).toBeNull();
    expect((await t.rules.admit(file(), who, { starts: true })).refused).toBe(
      'ip_download_limited_captcha_required',
    );
    // Whatever needs more than memory (a flag, a scan, an owner, a payload, the hotlink rule) is
    // left to admit, which counts nothing here.
    const other = { client: 'd' };
    for (const f of [
      file({ abuseType: 'malware' }),
      file({ scanStatus: 'infected' }),
      file({ ownerId: 'u1' }),
      file({ downloads: 20 }),
    ]) {
      expect(t.rules.admitNow(f, other, { starts: true })).toBeNull();
    }
    expect(t.rules.admitNow(file(), other, { captcha: 'x', starts: true })).toBeNull();
    expect(t.rules.rateLimits('d').download_limit_used).toBe(0);
    expect(t.lookups()).toBe(0);
  });

  it('per-IP transfer limit with the slow action: a speed limit instead of a refusal', async () => {
    const t = setup({ ipTransferLimit: 1000, ipLimitAction: 'slow', ipSpeedLimit: 123 });
    t.rules.transferred('c', 999);
    expect(await t.rules.admit(file(), { client: 'c' }, { starts: true })).toMatchObject({
      refused: '',
      speedLimit: 0,
    });
    t.rules.transferred('c', 1);
    t.rules.transferred('c', 5000, true); // exempt bytes are not counted
    expect(t.rules.rateLimits('c').transfer_limit_used).toBe(1000);
    expect(await t.rules.admit(file(), { client: 'c' }, { starts: true })).toMatchObject({
      refused: '',
      speedLimit: 123,
    });
    expect(t.rules.rateLimits('c').speed_limit).toBe(123);
  });

  it('with the captcha off: plain refusals, no site key, no challenge', async () => {
    const t = setup({ captcha: false, ipDownloadLimit: 1 });
    expect(t.rules.siteKey()).toBe('');
    expect(await t.rules.challenge()).toBeNull();
    expect(
      (await t.rules.admit(file({ downloads: 20 }), { client: 'c' }, { starts: true })).refused,
    ).toBe('hotlink_detected');
    await t.rules.admit(file(), { client: 'd' }, { starts: true });
    expect((await t.rules.admit(file(), { client: 'd' }, { starts: true })).refused).toBe(
      'download_limit_exceeded',
    );
  });
});

describe('AltchaCaptcha', () => {
  it('verifies a solution once; tampered, expired and malformed payloads fail', async () => {
    const state = new MemoryState();
    const c = new AltchaCaptcha(async () => 'secret-key-of-sixteen', state, { difficulty: 300 });
    const p = await payload(c);
    expect((await c.verify(p)).ok).toBe(true);
    expect(await c.verify(p)).toEqual({ ok: false, reason: 'replayed' });

    const other = JSON.parse(Buffer.from(await payload(c), 'base64').toString()) as {
      challenge: { parameters: { keyPrefix: string } };
    };
    other.challenge.parameters.keyPrefix = '00';
    expect(await c.verify(Buffer.from(JSON.stringify(other)).toString('base64'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    // Another instance's key: the signature does not verify.
    const foreign = new AltchaCaptcha(async () => 'another-key-of-sixteen', state, {
      difficulty: 300,
    });
    expect((await c.verify(await payload(foreign))).ok).toBe(false);
    for (const bad of ['', 'x', '{}', 'e30=', 'A'.repeat(5000), '{"challenge":1,"solution":2}'])
      expect(await c.verify(bad)).toEqual({ ok: false, reason: 'malformed' });

    const short = new AltchaCaptcha(async () => 'secret-key-of-sixteen', state, {
      difficulty: 300,
      ttlMs: 1000,
    });
    const p2 = await payload(short);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await short.verify(p2)).toEqual({ ok: false, reason: 'expired' });
  });

  it('parsePayload rejects wrong shapes and algorithms', () => {
    const ok = {
      challenge: {
        parameters: { algorithm: 'SHA-256', nonce: 'aa', salt: 'bb', keyPrefix: 'cc', cost: 1 },
        signature: 's',
      },
      solution: { counter: 1, derivedKey: 'dd' },
    };
    expect(parsePayload(JSON.stringify(ok))).not.toBeNull();
    const argon = structuredClone(ok);
    argon.challenge.parameters.algorithm = 'ARGON2ID';
    expect(parsePayload(JSON.stringify(argon))).toBeNull();
    expect(parsePayload(JSON.stringify({ ...ok, solution: { counter: '1' } }))).toBeNull();
  });
});

describe('IpUsage', () => {
  it('sums locally, pushes once per flush, and sees other nodes after a push', async () => {
    let now = 5 * DAY_MS + 1000;
    const shared = new MemoryState(() => now);
    let calls = 0;
    const counting: SharedState = {
      increment: (k, w, a) => (calls++, shared.increment(k, w, a)),
      claim: (k, t) => shared.claim(k, t),
      exists: (k) => shared.exists(k),
      close: async () => {},
    };
    const a = new IpUsage(counting, { now: () => now, flushMs: 60_000 });
    const b = new IpUsage(counting, { now: () => now, flushMs: 60_000 });
    for (let i = 0; i < 100; i++) a.add('ip', { downloads: 1, bytes: 10 });
    expect(calls).toBe(0);
    expect(a.usage('ip')).toEqual({ downloads: 100, bytes: 1000, solved: 0 });
    await a.flush();
    expect(calls).toBe(3); // one per counter, not per event
    b.add('ip', { downloads: 1 });
    await b.flush();
    expect(b.usage('ip')).toMatchObject({ downloads: 101, bytes: 1000 });
    // The next day starts from zero; sums of the day before are not carried over.
    a.add('ip', { downloads: 1 });
    now += DAY_MS;
    expect(a.usage('ip')).toEqual({ downloads: 0, bytes: 0, solved: 0 });
    await a.flush();
    expect(a.usage('ip').downloads).toBe(0);
  });

  it('a shared state that fails loses the sums, never the downloads', async () => {
    const broken: SharedState = {
      increment: () => Promise.reject(new Error('down')),
      claim: () => Promise.reject(new Error('down')),
      exists: () => Promise.reject(new Error('down')),
      close: async () => {},
    };
    const u = new IpUsage(broken, { now: () => 0, flushMs: 60_000 });
    u.add('ip', { downloads: 1 });
    await expect(u.flush()).resolves.toBeUndefined();
    expect(u.usage('ip').downloads).toBe(0);
  });
});
