import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors.js';
import type { Telemetry } from '../telemetry.js';
import { LiveStats, type CounterReader, type LiveCounters } from './live-stats.js';
import { emptyDelta, type CounterDelta } from './records.js';

/** Stored counters in a map; counts the reads and their sizes. */
class FakeReader implements CounterReader {
  readonly stored = new Map<string, CounterDelta>();
  reads: string[][] = [];
  fail = false;

  async readCounters(ids: readonly string[]): Promise<Map<string, CounterDelta>> {
    this.reads.push([...ids]);
    if (this.fail) throw new Error('database down');
    const out = new Map<string, CounterDelta>();
    for (const id of ids) {
      const c = this.stored.get(id);
      if (c) out.set(id, { ...c });
    }
    return out;
  }

  set(id: string, c: Partial<CounterDelta>): void {
    this.stored.set(id, { ...emptyDelta(), ...this.stored.get(id), ...c });
  }
}

function gauge() {
  let value = 0;
  const telemetry: Telemetry = {
    event() {},
    gauge(name, delta) {
      if (name === 'websocket_subscribers') value += delta;
    },
  };
  return { telemetry, value: () => value };
}

const views = (seen: LiveCounters[]) => seen.map((c) => c.views);

describe('LiveStats: live counters for the file_stats websocket', () => {
  it('a listener hears the counters at once, then only changes', async () => {
    const reader = new FakeReader();
    reader.set('a', { views: 3, downloads: 1, bandwidth: 10 });
    const live = new LiveStats(reader, { pollMs: 60_000 });
    const seen: LiveCounters[] = [];
    await live.subscribe('a', (c) => seen.push(c));
    expect(seen).toEqual([{ views: 3, downloads: 1, bandwidth: 10, bandwidthPaid: 0 }]);
    await live.poll();
    expect(seen).toHaveLength(1);
    reader.set('a', { downloads: 2, bandwidth: 30 });
    await live.poll();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ views: 3, downloads: 2, bandwidth: 30, bandwidthPaid: 0 });
    await live.close();
  });

  it('an unknown file is not_found; nothing is left subscribed', async () => {
    const live = new LiveStats(new FakeReader(), { pollMs: 60_000 });
    await expect(live.subscribe('nope', () => {})).rejects.toBeInstanceOf(CoreError);
    await expect(live.subscribe('nope', () => {})).rejects.toMatchObject({ code: 'not_found' });
    expect(live.size).toBe(0);
    expect(live.running).toBe(false);
  });

  it('adds what is counted but not written; a flush in progress never shows a drop', async () => {
    const reader = new FakeReader();
    reader.set('a', { views: 1 });
    let pending: CounterDelta | undefined = { ...emptyDelta(), views: 2, bandwidth: 5 };
    const live = new LiveStats(reader, { pollMs: 60_000, pending: () => pending });
    const seen: LiveCounters[] = [];
    await live.subscribe('a', (c) => seen.push(c));
    expect(seen[0]).toMatchObject({ views: 3, bandwidth: 5 });
    // The flush took the pending deltas but has not written them yet.
    pending = undefined;
    await live.poll();
    expect(views(seen)).toEqual([3]);
    // Written.
    reader.set('a', { views: 3, bandwidth: 5 });
    await live.poll();
    expect(views(seen)).toEqual([3]);
    reader.set('a', { views: 4 });
    await live.poll();
    expect(views(seen)).toEqual([3, 4]);
    await live.close();
  });

  it('one timer for all subscriptions, one read per poll; it stops when nobody listens', async () => {
    const reader = new FakeReader();
    for (const id of ['a', 'b', 'c']) reader.set(id, { views: 1 });
    const live = new LiveStats(reader, { pollMs: 20 });
    expect(live.running).toBe(false);
    const seen: string[] = [];
    const offs = await Promise.all(
      ['a', 'b', 'c'].map((id) => live.subscribe(id, () => seen.push(id))),
    );
    expect(live.running).toBe(true);
    reader.reads = [];
    reader.set('b', { views: 2 });
    for (let i = 0; i < 100 && seen.filter((x) => x === 'b').length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen.filter((x) => x === 'b')).toHaveLength(2);
    expect(seen.filter((x) => x === 'a')).toHaveLength(1);
    // Every read asked for all three files at once.
    expect(reader.reads.length).toBeGreaterThan(0);
    for (const r of reader.reads) expect(r.sort()).toEqual(['a', 'b', 'c']);
    offs[0]!();
    offs[0]!(); // idempotent
    expect(live.size).toBe(2);
    expect(live.running).toBe(true);
    offs[1]!();
    offs[2]!();
    expect(live.size).toBe(0);
    expect(live.running).toBe(false);
    await live.close();
  });

  it('reads in batches', async () => {
    const reader = new FakeReader();
    const ids = Array.from({ length: 7 }, (_, i) => `f${i}`);
    ids.forEach((id) => reader.set(id, {}));
    const live = new LiveStats(reader, { pollMs: 60_000, batch: 3 });
    for (const id of ids) await live.subscribe(id, () => {});
    reader.reads = [];
    await live.poll();
    expect(reader.reads.map((r) => r.length)).toEqual([3, 3, 1]);
    await live.close();
  });

  it('a new subscriber with newer counters brings the others up to date', async () => {
    const reader = new FakeReader();
    reader.set('a', { views: 1 });
    const live = new LiveStats(reader, { pollMs: 60_000 });
    const first: LiveCounters[] = [];
    const second: LiveCounters[] = [];
    await live.subscribe('a', (c) => first.push(c));
    reader.set('a', { views: 2 });
    await live.subscribe('a', (c) => second.push(c));
    expect(views(first)).toEqual([1, 2]);
    expect(views(second)).toEqual([2]);
    await live.close();
  });

  it('a listener that throws does not stop the others; a failed read does not throw', async () => {
    const reader = new FakeReader();
    reader.set('a', { views: 1 });
    const live = new LiveStats(reader, { pollMs: 60_000 });
    const seen: LiveCounters[] = [];
    await live.subscribe('a', () => {
      throw new Error('socket gone');
    });
    await live.subscribe('a', (c) => seen.push(c));
    reader.set('a', { views: 2 });
    await live.poll();
    expect(views(seen)).toEqual([1, 2]);
    reader.fail = true;
    await expect(live.poll()).resolves.toBeUndefined();
    await live.close();
  });

  it('the websocket_subscribers gauge follows subscriptions and close', async () => {
    const reader = new FakeReader();
    reader.set('a', {});
    reader.set('b', {});
    const g = gauge();
    const live = new LiveStats(reader, { pollMs: 60_000, telemetry: g.telemetry });
    const off = await live.subscribe('a', () => {});
    await live.subscribe('a', () => {});
    await live.subscribe('b', () => {});
    expect(g.value()).toBe(3);
    off();
    expect(g.value()).toBe(2);
    await live.close();
    expect(g.value()).toBe(0);
    expect(live.running).toBe(false);
    await expect(live.subscribe('a', () => {})).rejects.toMatchObject({ code: 'not_found' });
    expect(g.value()).toBe(0);
  });
});
