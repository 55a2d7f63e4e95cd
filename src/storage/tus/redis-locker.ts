import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import { Redis } from 'ioredis';
import { UPLOAD_LOCKED } from './backend.js';
import { randomBytes } from 'node:crypto';

/** Extend the lock's expiry only while this process still holds it (its token). */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
/** Delete the lock only if it is still ours (it may have expired and been taken since). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisLockerOptions {
  url: string;
  /** Key and channel prefix (the instance's Redis namespace, e.g. `stowage:public:`). */
  prefix: string;
  /** A lock whose holder stops renewing it (a dead process) is free after this long. */
  ttlMs?: number;
  /** How long `lock` waits for a held lock before failing (423, as tusd). */
  acquireTimeoutMs?: number;
  /** Between two attempts while waiting (a release notice wakes the waiter earlier). */
  retryMs?: number;
}

/**
 * The tus Locker across nodes, in Redis: a lock is `SET key token NX PX ttl`, renewed every
 * ttl/3 while held and deleted by its token on release, so a holder that died frees it after at
 * most ttl. A waiter asks the holder to let go as tus expects (`requestRelease`, which cancels
 * the holder's request after the server's lock drain timeout): the ask is published on a channel
 * every node listens to, and the node holding the lock calls its holder's callback. Releases are
 * published too, so waiters retry at once.
 */
export class RedisLocker implements Locker {
  readonly redis: Redis;
  private readonly sub: Redis;
  /** Locks held by this process: upload id → the holder's requestRelease. */
  readonly held = new Map<string, RequestRelease>();
  /** Waiters of this process: upload id → wake-up callbacks. */
  private readonly waiting = new Map<string, Set<() => void>>();
  readonly ttlMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryMs: number;
  private readonly askChannel: string;
  private readonly releasedChannel: string;

  constructor(private readonly opts: RedisLockerOptions) {
    this.ttlMs = opts.ttlMs ?? 15_000;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.retryMs = opts.retryMs ?? 200;
    this.askChannel = `${opts.prefix}tus:lock-ask`;
    this.releasedChannel = `${opts.prefix}tus:lock-released`;
    const common = {
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
    };
    this.redis = new Redis(opts.url, { ...common, commandTimeout: 2000, maxRetriesPerRequest: 1 });
    this.sub = new Redis(opts.url, common);
    // Errors surface on the commands; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => {});
    this.sub.on('error', () => {});
    this.sub.on('message', (channel: string, id: string) => this.onMessage(channel, id));
    // Resubscribed by the client after a reconnect; a lost ask is repeated by the waiter.
    this.sub.subscribe(this.askChannel, this.releasedChannel).catch(() => {});
  }

  private onMessage(channel: string, id: string): void {
    if (channel === this.askChannel) {
      const release = this.held.get(id);
      if (release) void Promise.resolve(release()).catch(() => {});
    } else if (channel === this.releasedChannel) {
      for (const wake of this.waiting.get(id) ?? []) wake();
    }
  }

  key(id: string): string {
    return `${this.opts.prefix}tus:lock:${id}`;
  }

  newLock(id: string): Lock {
    return new RedisLock(this, id);
  }

  /** Ask whoever holds `id`'s lock, on any node, to release it. */
  async ask(id: string): Promise<void> {
    await this.redis.publish(this.askChannel, id);
  }

  async announceRelease(id: string): Promise<void> {
    await this.redis.publish(this.releasedChannel, id);
  }

  /** Wait up to `ms` for a release of `id` (or the stop signal). */
  wait(id: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(id) ?? new Set<() => void>();
      this.waiting.set(id, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }

  async close(): Promise<void> {
    // QUIT would wait for a connection that Redis being away may never give (a CLI run).
    const end = (r: Redis) =>
      r.status === 'ready'
        ? r.quit().then(
            () => {},
            () => r.disconnect(),
          )
        : r.disconnect();
    await Promise.all([end(this.redis), end(this.sub)]);
  }

  /** Tests: stop as a crashed process would (locks are neither renewed nor released). */
  crash(): void {
    this.redis.disconnect();
    this.sub.disconnect();
  }
}

class RedisLock implements Lock {
  private token: string | null = null;
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly locker: RedisLocker,
    private readonly id: string,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { locker, id } = this;
    const key = locker.key(id);
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + locker.acquireTimeoutMs;
    let lastAsk = 0;
    for (;;) {
      if (signal.aborted) throw ERRORS.ABORTED;
      const got = await locker.redis.set(key, token, 'PX', locker.ttlMs, 'NX');
      if (got === 'OK') break;
      const now = Date.now();
      if (now >= deadline) throw UPLOAD_LOCKED;
      // The holder's request is cancelled once; asking again every second covers a lost message.
      if (now - lastAsk >= 1000) {
        lastAsk = now;
        await locker.ask(id);
      }
      await locker.wait(id, Math.min(locker.retryMs, deadline - now), signal);
    }
    this.token = token;
    locker.held.set(id, requestRelease);
    this.renewal = setInterval(
      () => {
        locker.redis.eval(RENEW, 1, key, token, locker.ttlMs).then(
          (kept) => {
            // Lost (expired while Redis was away, taken since): stop writing as soon as possible.
            if (kept === 0 && this.token === token) void Promise.resolve(requestRelease());
          },
          () => {},
        );
      },
      Math.max(50, Math.floor(locker.ttlMs / 3)),
    );
    this.renewal.unref();
  }

  async unlock(): Promise<void> {
    const token = this.token;
    if (token === null) throw new Error('Releasing an unlocked lock!');
    this.token = null;
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
    if (this.locker.held.get(this.id)) this.locker.held.delete(this.id);
    const released = await this.locker.redis.eval(RELEASE, 1, this.locker.key(this.id), token);
    if (released === 1) await this.locker.announceRelease(this.id).catch(() => {});
  }
}
