import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { Db } from '../db.js';
import { KyselyLockRepository } from '../lock-repository.js';
import { UPLOAD_LOCKED } from './backend.js';

export interface DatabaseLockerOptions {
  /** A held lock's row is valid this long, renewed at a third of it (a dead holder frees it then). */
  ttlMs?: number;
  /** How often a waiter tries again. */
  pollMs?: number;
  /** A waiter gives up (423, as tusd and the Redis locker answer) after this long. */
  acquireTimeoutMs?: number;
}

/**
 * tus's Locker on the `locks` table (a lease row per upload being written, `tus:<id>`), so that
 * the processes sharing one data dir (`serve --workers N`: connections are spread over workers,
 * and a client that resumes after a broken connection may reach another worker while the first
 * one still writes) never write one upload at once. The row is LeasedJob's lease
 * (KyselyLockRepository: batched commits), renewed while held and deleted on unlock; a crashed
 * holder's row expires after `ttlMs`.
 *
 * A waiter in the same process asks the holder to let go at once (tus's requestRelease, as
 * MemoryLocker does); a holder in another process is not asked: it ends when its client's
 * connection does (a closed socket ends the request; a silent one, the body timeout).
 */
export class DatabaseLocker implements Locker {
  readonly held = new Map<string, RequestRelease>();
  readonly ttlMs: number;
  readonly pollMs: number;
  readonly acquireTimeoutMs: number;
  private readonly leases: KyselyLockRepository;

  constructor(db: Db, opts: DatabaseLockerOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 50;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.leases = new KyselyLockRepository(db);
  }

  newLock(id: string): Lock {
    return new DatabaseLock(this, `tus:${id}`);
  }

  /** Take (or renew) the row for `holder`; false if someone else holds it. */
  tryAcquire(name: string, holder: string): Promise<boolean> {
    return this.leases.tryAcquire(name, holder, this.ttlMs, Date.now());
  }

  release(name: string, holder: string): Promise<void> {
    return this.leases.remove(name, holder);
  }
}

class DatabaseLock implements Lock {
  private readonly holder = randomUUID();
  private renew: NodeJS.Timeout | null = null;

  constructor(
    private readonly locker: DatabaseLocker,
    private readonly name: string,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    let asked = false;
    for (;;) {
      if (signal.aborted) throw ERRORS.ABORTED;
      if (await this.locker.tryAcquire(this.name, this.holder)) break;
      const local = this.locker.held.get(this.name);
      if (local && !asked) {
        asked = true;
        await local();
      }
      if (Date.now() > deadline) throw UPLOAD_LOCKED;
      await sleep(this.locker.pollMs);
    }
    this.locker.held.set(this.name, requestRelease);
    this.renew = setInterval(
      () => {
        this.locker.tryAcquire(this.name, this.holder).catch(() => {});
      },
      Math.max(1000, this.locker.ttlMs / 3),
    );
    this.renew.unref();
  }

  async unlock(): Promise<void> {
    if (this.renew) clearInterval(this.renew);
    this.renew = null;
    this.locker.held.delete(this.name);
    await this.locker.release(this.name, this.holder);
  }
}
