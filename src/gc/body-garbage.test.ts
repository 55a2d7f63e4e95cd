import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { BodyGarbage, reportingChunks } from './body-garbage.js';
import { exposeGc } from './expose.js';

describe('BodyGarbage', () => {
  it('runs one young-generation collection each time a step of body bytes has been seen', () => {
    const gc = vi.fn();
    const g = new BodyGarbage(1000, gc);
    g.note(400);
    g.note(599);
    expect(gc).not.toHaveBeenCalled();
    g.note(1);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'minor' });
    // The count starts again after a collection: 999 more bytes are not a step.
    g.note(999);
    expect(gc).toHaveBeenCalledTimes(1);
    g.note(64);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('collects once for a chunk larger than the step (what is dead is collected in one go)', () => {
    const gc = vi.fn();
    const g = new BodyGarbage(1000, gc);
    g.note(5000);
    expect(gc).toHaveBeenCalledTimes(1);
    g.note(999);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('does nothing where V8 offers no gc()', () => {
    const g = new BodyGarbage(1, null);
    expect(() => g.note(10)).not.toThrow();
  });

  it('collects while one body arrives, not while two do, and again once one is left', async () => {
    const gc = vi.fn();
    const g = new BodyGarbage(1000, gc);
    let endSecond!: () => void;
    const first = g.receiving(async () => {
      g.note(1000);
      expect(gc).toHaveBeenCalledTimes(1);
      const second = g.receiving(
        () => new Promise<string>((resolve) => (endSecond = () => resolve('second'))),
      );
      // Two bodies at once: steps go by uncollected, and are not counted toward later ones.
      g.note(5000);
      expect(gc).toHaveBeenCalledTimes(1);
      endSecond();
      expect(await second).toBe('second');
      g.note(1000);
      expect(gc).toHaveBeenCalledTimes(2);
      return 'first';
    });
    expect(await first).toBe('first');
  });

  it('counts a body that failed as gone', async () => {
    const gc = vi.fn();
    const g = new BodyGarbage(1000, gc);
    await expect(
      g.receiving(async () => {
        throw new Error('client went away');
      }),
    ).rejects.toThrow('client went away');
    await g.receiving(async () => g.note(1000));
    expect(gc).toHaveBeenCalledTimes(1);
  });
});

describe('reportingChunks', () => {
  it('passes the chunks on unchanged and reports each one', async () => {
    const gc = vi.fn();
    const garbage = new BodyGarbage(100, gc);
    const note = vi.spyOn(garbage, 'note');
    const parts = [Buffer.alloc(60, 1), Buffer.alloc(50, 2), Buffer.alloc(7, 3)];
    const out: Buffer[] = [];
    for await (const c of reportingChunks(Readable.from(parts), garbage)) out.push(c as Buffer);
    expect(Buffer.concat(out).equals(Buffer.concat(parts))).toBe(true);
    expect(note.mock.calls.map(([n]) => n)).toEqual([60, 50, 7]);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('fails with the source: its error destroys the stream handed out', async () => {
    const source = new PassThrough();
    const out = reportingChunks(source, new BodyGarbage(100, null));
    const failed = once(out, 'error');
    const err = new Error('connection reset by S3');
    source.destroy(err);
    expect((await failed)[0]).toBe(err);
  });

  it('frees the source when its reader goes away (the stream handed out is destroyed)', async () => {
    const source = new PassThrough();
    const out = reportingChunks(source, new BodyGarbage(100, null));
    out.resume();
    source.write(Buffer.alloc(10));
    // Destroyed with the pipeline's premature-close error, which its own listener takes.
    const closed = new Promise((resolve) => source.on('close', resolve));
    out.destroy();
    await closed;
    expect(source.destroyed).toBe(true);
  });
});

describe('exposeGc', () => {
  it('offers V8’s gc() at run time, the same function every time, which takes a minor collection', () => {
    const gc = exposeGc();
    expect(typeof gc).toBe('function');
    expect(exposeGc()).toBe(gc);
    expect(() => gc!({ type: 'minor' })).not.toThrow();
  });
});
