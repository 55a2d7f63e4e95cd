import { describe, expect, it } from 'vitest';
import { JobQueue, JobRejected } from './job-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('JobQueue', () => {
  it('runs at most `concurrency` jobs at once', async () => {
    const q = new JobQueue(2);
    let running = 0;
    let peak = 0;
    const job = async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
      return 'ok';
    };
    const results = await Promise.all(Array.from({ length: 7 }, () => q.run(job, 'background')));
    expect(results).toEqual(Array(7).fill('ok'));
    expect(peak).toBe(2);
  });

  it('interactive jobs go before queued background ones', async () => {
    const q = new JobQueue(1);
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await tick();
    };
    const all = [
      q.run(job('b1'), 'background'),
      q.run(job('b2'), 'background'),
      q.run(job('b3'), 'background'),
      q.run(job('i1'), 'interactive'),
    ];
    await Promise.all(all);
    expect(order).toEqual(['b1', 'i1', 'b2', 'b3']);
  });

  it('refuses background jobs beyond maxQueued, never interactive ones', async () => {
    const q = new JobQueue(1, 1);
    const slow = () => tick();
    const a = q.run(slow, 'background'); // running
    const b = q.run(slow, 'background'); // queued
    await expect(q.run(slow, 'background')).rejects.toBeInstanceOf(JobRejected);
    await Promise.all([a, b, q.run(slow, 'interactive')]);
  });

  it('a failing job fails alone', async () => {
    const q = new JobQueue(1);
    await expect(
      q.run(async () => Promise.reject(new Error('boom')), 'background'),
    ).rejects.toThrow('boom');
    await expect(q.run(async () => 1, 'background')).resolves.toBe(1);
  });

  it('close refuses what is queued, aborts what runs, and waits for it', async () => {
    const q = new JobQueue(1);
    let aborted = false;
    let finished = false;
    const running = q.run(
      (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(() => {
              finished = true;
              resolve();
            }, 10);
          });
        }),
      'background',
    );
    const queued = q.run(async () => 'never', 'interactive').catch((e: unknown) => e);
    await tick();
    await q.close();
    expect(aborted).toBe(true);
    expect(finished).toBe(true);
    await running;
    expect(await queued).toBeInstanceOf(JobRejected);
    await expect(q.run(async () => 1, 'interactive')).rejects.toBeInstanceOf(JobRejected);
  });

  it('idle resolves once everything has run', async () => {
    const q = new JobQueue(2);
    let done = 0;
    for (let i = 0; i < 5; i++) void q.run(async () => void (await tick(), done++), 'background');
    await q.idle();
    expect(done).toBe(5);
  });
});
