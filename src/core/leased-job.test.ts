import { describe, expect, it, vi } from 'vitest';
import { LeasedJob, type LockRepository } from './leased-job.js';

/** Leases in memory, as the database keeps them: one holder per name until it expires. */
class MemoryLocks implements LockRepository {
  readonly held = new Map<string, { holder: string; until: number }>();
  released = 0;
  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const cur = this.held.get(name);
    if (cur && cur.holder !== holder && cur.until > now) return Promise.resolve(false);
    this.held.set(name, { holder, until: now + ttlMs });
    return Promise.resolve(true);
  }
  release(name: string, holder: string): Promise<void> {
    if (this.held.get(name)?.holder === holder) {
      this.held.delete(name);
      this.released++;
    }
    return Promise.resolve();
  }
}

describe('LeasedJob', () => {
  it('runs the work under the lease and gives the lease up at the end', async () => {
    const locks = new MemoryLocks();
    let heldDuring = false;
    const job = new LeasedJob(
      'job',
      locks,
      async (lease) => {
        expect(await lease()).toBe(true);
        heldDuring = locks.held.has('job');
        return 7;
      },
      { intervalMs: 0 },
    );
    expect(await job.runOnce()).toBe(7);
    expect(heldDuring).toBe(true);
    expect(locks.held.has('job')).toBe(false);
    expect(locks.released).toBe(1);
  });

  it('a lease another node holds stops the work (the lease says false)', async () => {
    const locks = new MemoryLocks();
    locks.held.set('job', { holder: 'other node', until: Date.now() + 60_000 });
    const batches: number[] = [];
    const job = new LeasedJob(
      'job',
      locks,
      async (lease) => {
        while (await lease()) batches.push(1);
        return batches.length;
      },
      { intervalMs: 0 },
    );
    expect(await job.runOnce()).toBe(0);
    // The other node's lease is left alone.
    expect(locks.held.get('job')?.holder).toBe('other node');
  });

  it('two nodes: while one runs, the other does nothing', async () => {
    const locks = new MemoryLocks();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = new LeasedJob(
      'job',
      locks,
      async (lease) => {
        if (!(await lease())) return 0;
        await gate;
        return 1;
      },
      { intervalMs: 0 },
    );
    const b = new LeasedJob('job', locks, async (lease) => ((await lease()) ? 1 : 0), {
      intervalMs: 0,
    });
    const first = a.runOnce();
    await vi.waitFor(() => expect(locks.held.size).toBe(1));
    expect(await b.runOnce()).toBe(0);
    release();
    expect(await first).toBe(1);
    // Given up: the other node's next run gets it.
    expect(await b.runOnce()).toBe(1);
  });

  it('calls while a run is going share it; a failing run still gives the lease up', async () => {
    const locks = new MemoryLocks();
    let runs = 0;
    const job = new LeasedJob(
      'job',
      locks,
      async (lease) => {
        runs++;
        await lease();
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('database gone');
      },
      { intervalMs: 0 },
    );
    const [x, y] = [job.runOnce(), job.runOnce()];
    await expect(x).rejects.toThrow('database gone');
    await expect(y).rejects.toThrow('database gone');
    expect(runs).toBe(1);
    expect(locks.held.has('job')).toBe(false);
  });

  it('on a timer: runs every interval, reports errors, stops; interval 0 never runs', async () => {
    vi.useFakeTimers();
    try {
      const locks = new MemoryLocks();
      let runs = 0;
      const errors: unknown[] = [];
      const job = new LeasedJob(
        'job',
        locks,
        async () => {
          runs++;
          if (runs === 2) throw new Error('second run fails');
          return 1;
        },
        { intervalMs: 1000, onError: (e) => errors.push(e) },
      );
      job.start();
      await vi.advanceTimersByTimeAsync(3500);
      expect(runs).toBe(3);
      expect(errors).toHaveLength(1);
      await job.stop();
      await vi.advanceTimersByTimeAsync(5000);
      expect(runs).toBe(3);

      const never = new LeasedJob('other', locks, async () => ++runs, { intervalMs: 0 });
      never.start();
      await vi.advanceTimersByTimeAsync(5000);
      expect(runs).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
