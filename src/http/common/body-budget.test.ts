import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from './body-budget.js';

const request = () => new EventEmitter() as unknown as IncomingMessage;
const settled = async <T>(p: Promise<T>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('ByteBudget', () => {
  it('grants up to its capacity, then makes bodies wait in order until bytes are released', async () => {
    const budget = new ByteBudget(100);
    const a = (await budget.reserve(60, request()))!;
    const b = (await budget.reserve(40, request()))!;
    expect(budget.inUse).toBe(100);
    const c = budget.reserve(30, request());
    const d = budget.reserve(10, request());
    expect(await settled(c)).toBe(false);
    // FIFO: d fits in what is left after c, but does not overtake it.
    expect(await settled(d)).toBe(false);
    a();
    a(); // releasing twice frees once
    expect(await settled(c)).toBe(true);
    expect(await settled(d)).toBe(true);
    expect(budget.inUse).toBe(40 + 30 + 10);
    b();
    (await c)!();
    (await d)!();
    expect(budget.inUse).toBe(0);
  });

  it('a request that goes away while waiting leaves the queue and holds nothing', async () => {
    const budget = new ByteBudget(10);
    const first = (await budget.reserve(10, request()))!;
    const req = request();
    const waiting = budget.reserve(5, req);
    const next = budget.reserve(5, request());
    (req as unknown as EventEmitter).emit('close');
    expect(await waiting).toBeNull();
    first();
    expect(await settled(next)).toBe(true);
    expect(budget.inUse).toBe(5);
  });

  it('a body bigger than the whole budget takes all of it rather than waiting forever', async () => {
    const budget = new ByteBudget(10);
    const release = (await budget.reserve(1000, request()))!;
    expect(budget.inUse).toBe(10);
    release();
    expect(budget.inUse).toBe(0);
  });
});
