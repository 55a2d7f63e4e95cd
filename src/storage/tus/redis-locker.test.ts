import { ERRORS } from '@tus/utils';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UPLOAD_LOCKED } from './backend.js';
import { RedisLocker, type RedisLockerOptions } from './redis-locker.js';

const REDIS_URL = process.env.STOWAGE_TEST_REDIS || 'redis://127.0.0.1:6379';

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
  const reason = `RedisLocker tests need Redis at ${REDIS_URL} (STOWAGE_TEST_REDIS)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true they must run`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

const unavailable = await redisUnavailable();

/** Two lockers on one Redis stand for two nodes. */
describe.skipIf(unavailable !== null)('RedisLocker (real Redis)', () => {
  const prefix = `stowage-test:${randomBytes(6).toString('hex')}:`;
  const open: RedisLocker[] = [];
  const node = (o: Partial<RedisLockerOptions> = {}) => {
    const l = new RedisLocker({ url: REDIS_URL, prefix, ttlMs: 600, retryMs: 20, ...o });
    open.push(l);
    return l;
  };
  const never = new AbortController().signal;
  let n = 0;
  const uploadId = () => `upload${n++}`;

  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    const l = node();
    const keys = await l.redis.keys(`${prefix}*`);
    if (keys.length > 0) await l.redis.del(...keys);
    await l.close();
  });

  it('acquires a free lock and releases it; another node then acquires it', async () => {
    const a = node();
    const b = node();
    const id = uploadId();
    const la = a.newLock(id);
    await la.lock(never, () => {});
    expect(await a.redis.get(a.key(id))).toMatch(/^[0-9a-f]{32}$/);
    await la.unlock();
    expect(await a.redis.exists(a.key(id))).toBe(0);
    const lb = b.newLock(id);
    await lb.lock(never, () => {});
    await lb.unlock();
  });

  it('contended: the waiter asks the holder on the other node to release, and gets the lock when it does', async () => {
    const a = node();
    const b = node();
    const id = uploadId();
    const la = a.newLock(id);
    let asked = 0;
    await la.lock(never, () => {
      asked++;
      // The holder's request winds down, then releases (as the tus server does on cancel).
      if (asked === 1) setTimeout(() => void la.unlock(), 100);
    });
    const lb = b.newLock(id);
    let bHolds = false;
    const acquired = lb.lock(never, () => {}).then(() => (bHolds = true));
    await sleep(50);
    expect(bHolds).toBe(false);
    await acquired;
    expect(asked).toBeGreaterThanOrEqual(1);
    await lb.unlock();
  });

  it('times out with 423 while a live holder keeps it (renewed past its ttl)', async () => {
    const a = node();
    const b = node({ acquireTimeoutMs: 1500 });
    const id = uploadId();
    const la = a.newLock(id);
    await la.lock(never, () => {});
    // 1.5 s is 2.5 ttls: only renewal keeps the key alive that long.
    await expect(b.newLock(id).lock(never, () => {})).rejects.toBe(UPLOAD_LOCKED);
    expect(await a.redis.exists(a.key(id))).toBe(1);
    await la.unlock();
  });

  it('a waiter whose request is stopped gives up at once', async () => {
    const a = node();
    const b = node();
    const id = uploadId();
    const la = a.newLock(id);
    await la.lock(never, () => {});
    const stop = new AbortController();
    const attempt = b.newLock(id).lock(stop.signal, () => {});
    setTimeout(() => stop.abort(), 50);
    await expect(attempt).rejects.toBe(ERRORS.ABORTED);
    await la.unlock();
  });

  it("a dead holder's lock expires after its ttl and another node takes it", async () => {
    const a = node();
    const b = node({ acquireTimeoutMs: 5000 });
    const id = uploadId();
    await a.newLock(id).lock(never, () => {});
    const token = await b.redis.get(b.key(id));
    a.crash();
    // Dying released nothing: the dead holder's key is there until its ttl runs out.
    expect(await b.redis.get(b.key(id))).toBe(token);
    expect(await b.redis.pttl(b.key(id))).toBeGreaterThan(0);
    const lb = b.newLock(id);
    await lb.lock(never, () => {});
    expect(await b.redis.get(b.key(id))).not.toBe(token);
    await lb.unlock();
  });

  it("releasing only deletes one's own lock (an expired one taken by another stays)", async () => {
    const a = node({ ttlMs: 200 });
    const b = node();
    const id = uploadId();
    const la = a.newLock(id);
    await la.lock(never, () => {});
    // Simulate the holder losing its lock: the key expires and another node takes it.
    await a.redis.del(a.key(id));
    const lb = b.newLock(id);
    await lb.lock(never, () => {});
    const token = await b.redis.get(b.key(id));
    await la.unlock();
    expect(await b.redis.get(b.key(id))).toBe(token);
    await lb.unlock();
    await expect(lb.unlock()).rejects.toThrow(/unlocked/);
  });

  it('a holder that lost its lock is asked to stop (renewal finds another token)', async () => {
    const a = node({ ttlMs: 300 });
    const id = uploadId();
    let stopped = false;
    const la = a.newLock(id);
    await la.lock(never, () => {
      stopped = true;
    });
    await a.redis.set(a.key(id), 'someone-else', 'PX', 5000);
    for (let i = 0; i < 50 && !stopped; i++) await sleep(20);
    expect(stopped).toBe(true);
    await la.unlock();
    expect(await a.redis.get(a.key(id))).toBe('someone-else');
  });
});
