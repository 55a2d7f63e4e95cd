import { Redis } from 'ioredis';
import { UnavailableError } from '../core/errors.js';
import type { SharedState } from '../core/shared-state.js';

/** INCRBY, and start the window's expiry on the first event only; one round trip. */
const INCREMENT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

/** How long a command (or a connection attempt) may take before the request is answered 503. */
const TIMEOUT_MS = 1000;

/**
 * SharedState in Redis, for several nodes: every key under one prefix. While Redis is away,
 * commands fail within the 1 s command timeout (no retries per request) with UnavailableError, so
 * what needs Redis answers 503 quickly; the client keeps reconnecting in the background and
 * works again as soon as Redis is back.
 */
export class RedisState implements SharedState {
  private readonly redis: Redis;
  /** Settles once the first connection is made or has had its chance (commands wait for it). */
  private readonly firstConnect: Promise<boolean>;

  constructor(
    url: string,
    private readonly prefix = 'stowage:',
  ) {
    this.redis = new Redis(url, {
      connectTimeout: TIMEOUT_MS,
      commandTimeout: TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      // Queued while (re)connecting, bounded by commandTimeout: without the queue a command sent
      // during a reconnect fails although Redis is up (views went uncounted).
      enableOfflineQueue: true,
      // Reconnect forever, at most every 2 s.
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // Errors surface on the commands; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => {});
    this.firstConnect = this.ready(TIMEOUT_MS);
  }

  /** Whether the client is connected, waiting up to `timeoutMs` for it. */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.redis.once('ready', onReady);
    });
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    // Right after start the connection is still being made: wait for it once, not every time.
    await this.firstConnect;
    try {
      return await command();
    } catch (err) {
      throw new UnavailableError('shared_state', `Redis: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async increment(
    key: string,
    windowMs: number,
    amount = 1,
  ): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = await this.call(
      () =>
        this.redis.eval(INCREMENT, 1, this.prefix + key, windowMs, Math.floor(amount)) as Promise<
          [number, number]
        >,
    );
    return { count, resetMs: ttl };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.call(() => this.redis.exists(this.prefix + key))) === 1;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const res = await this.call(() => this.redis.set(this.prefix + key, '1', 'PX', ttlMs, 'NX'));
    return res === 'OK';
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  /** Delete every key of this prefix (tests clean up their own namespace). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      await this.firstConnect;
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
