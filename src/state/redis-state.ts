import { Redis } from 'ioredis';
import type { SharedState } from '../core/shared-state.js';

/** INCR, and start the window's expiry on the first event only; one round trip. */
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

/** SharedState in Redis, for several nodes: every key under one prefix. */
export class RedisState implements SharedState {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'stowage:',
  ) {
    this.redis = new Redis(url, {
      // Fail fast instead of queueing commands forever while Redis is away.
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    // Errors surface on the commands; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => {});
  }

  async increment(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = (await this.redis.eval(INCREMENT, 1, this.prefix + key, windowMs)) as [
      number,
      number,
    ];
    return { count, resetMs: ttl };
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const res = await this.redis.set(this.prefix + key, '1', 'PX', ttlMs, 'NX');
    return res === 'OK';
  }

  /** Delete every key of this prefix (tests clean up their own namespace). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
