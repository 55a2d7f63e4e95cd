import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../core/errors.js';
import { RedisState } from './redis-state.js';

/** The Redis of the scale-out tests (same variable and default as test/scaleout.ts). */
const REDIS_URL = process.env.STOWAGE_TEST_REDIS || 'redis://127.0.0.1:6379';

/** Why these tests cannot run here, or null. Under CI=true a missing Redis is an error. */
async function redisUnavailable(): Promise<string | null> {
  const u = new URL(REDIS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (v: boolean) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
  if (ok) return null;
  const reason = `RedisState tests need Redis at ${REDIS_URL} (STOWAGE_TEST_REDIS)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true they must run`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

const unavailable = await redisUnavailable();

/** Windows and TTLs run on Redis's clock here: short ones, with margins for the round trips. */
describe.skipIf(unavailable !== null)('RedisState (real Redis)', () => {
  const prefix = `stowage-test:${randomBytes(6).toString('hex')}:`;
  let state: RedisState;

  beforeAll(() => {
    state = new RedisState(REDIS_URL, prefix);
  });
  afterAll(async () => {
    await state?.clear();
    await state?.close();
  });

  it('increment adds an amount (batched sums) in one window; exists sees live keys', async () => {
    expect(await state.exists('amt:a')).toBe(false);
    const first = await state.increment('amt:a', 10_000, 700);
    expect(first.count).toBe(700);
    expect(first.resetMs).toBeGreaterThan(9_000);
    expect((await state.increment('amt:a', 10_000, 5)).count).toBe(705);
    expect(await state.exists('amt:a')).toBe(true);
    await state.claim('amt:m', 300);
    expect(await state.exists('amt:m')).toBe(true);
    await sleep(400);
    expect(await state.exists('amt:m')).toBe(false);
  });

  describe('increment: fixed windows that start with the first event', () => {
    it('counts within a window and reports the time left in it', async () => {
      const first = await state.increment('inc:a', 10_000);
      expect(first.count).toBe(1);
      expect(first.resetMs).toBeGreaterThan(9_000);
      expect(first.resetMs).toBeLessThanOrEqual(10_000);
      await sleep(200);
      const second = await state.increment('inc:a', 10_000);
      expect(second.count).toBe(2);
      expect(second.resetMs).toBeLessThanOrEqual(10_000 - 200);
      expect(second.resetMs).toBeGreaterThan(8_000);
    });

    it('a later event does not extend the window (nor does another windowMs)', async () => {
      await state.increment('inc:b', 2_000);
      await sleep(300);
      const r = await state.increment('inc:b', 60_000);
      expect(r.count).toBe(2);
      expect(r.resetMs).toBeLessThanOrEqual(2_000 - 300);
    });

    it('a new window starts after expiry, counting from 1 again', async () => {
      await state.increment('inc:c', 300);
      await state.increment('inc:c', 300);
      await sleep(450);
      const r = await state.increment('inc:c', 300);
      expect(r.count).toBe(1);
      expect(r.resetMs).toBeGreaterThan(200);
      expect(r.resetMs).toBeLessThanOrEqual(300);
      expect((await state.increment('inc:c', 300)).count).toBe(2);
    });

    it('keys are counted apart', async () => {
      await state.increment('inc:d1', 10_000);
      await state.increment('inc:d1', 10_000);
      expect((await state.increment('inc:d2', 10_000)).count).toBe(1);
      expect((await state.increment('inc:d1', 10_000)).count).toBe(3);
    });

    it('concurrent increments each get their own count', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => state.increment('inc:e', 10_000)),
      );
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });
  });

  describe('claim', () => {
    it('is true once, false until the TTL passes, then true again', async () => {
      expect(await state.claim('claim:a', 400)).toBe(true);
      expect(await state.claim('claim:a', 400)).toBe(false);
      await sleep(150);
      expect(await state.claim('claim:a', 400)).toBe(false);
      await sleep(400);
      expect(await state.claim('claim:a', 400)).toBe(true);
      expect(await state.claim('claim:a', 400)).toBe(false);
    });

    it('a refused claim does not extend the mark', async () => {
      await state.claim('claim:b', 400);
      await sleep(250);
      expect(await state.claim('claim:b', 400)).toBe(false);
      await sleep(250); // 500 ms after the first claim, 250 after the refused one
      expect(await state.claim('claim:b', 400)).toBe(true);
    });

    it('concurrent claims of one key: exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => state.claim('claim:c', 10_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('two clients on the same prefix share the marks (two nodes agree on "first time")', async () => {
      const other = new RedisState(REDIS_URL, prefix);
      try {
        expect(await state.claim('claim:d', 10_000)).toBe(true);
        expect(await other.claim('claim:d', 10_000)).toBe(false);
        expect((await other.increment('inc:shared', 10_000)).count).toBe(1);
        expect((await state.increment('inc:shared', 10_000)).count).toBe(2);
      } finally {
        await other.close();
      }
    });

    it('another prefix is another key space', async () => {
      const other = new RedisState(REDIS_URL, `${prefix}other:`);
      try {
        expect(await state.claim('claim:e', 10_000)).toBe(true);
        expect(await other.claim('claim:e', 10_000)).toBe(true);
      } finally {
        await other.clear();
        await other.close();
      }
    });
  });

  it('clear() removes every key of the prefix, and only those', async () => {
    const mine = new RedisState(REDIS_URL, `${prefix}clear:`);
    try {
      await mine.claim('x', 60_000);
      await mine.increment('y', 60_000);
      expect(await state.claim('claim:f', 60_000)).toBe(true);
      await mine.clear();
      expect(await mine.claim('x', 60_000)).toBe(true);
      expect((await mine.increment('y', 60_000)).count).toBe(1);
      expect(await state.claim('claim:f', 60_000)).toBe(false);
    } finally {
      await mine.clear();
      await mine.close();
    }
  });
});

describe('RedisState with Redis unreachable', () => {
  it('rejects with UnavailableError (503 in the dialects) instead of queueing, and closes cleanly', async () => {
    // A port nothing listens on.
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as net.AddressInfo;
    await new Promise((r) => srv.close(r));

    const state = new RedisState(`redis://127.0.0.1:${port}`, 'stowage-test-down:');
    try {
      await expect(state.increment('k', 1000)).rejects.toBeInstanceOf(UnavailableError);
      await expect(state.claim('k', 1000)).rejects.toBeInstanceOf(UnavailableError);
      await expect(state.ping()).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await state.close();
    }
  });
});
