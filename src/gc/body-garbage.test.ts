import { describe, expect, it, vi } from 'vitest';
import { BodyGarbage } from './body-garbage.js';
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
});

describe('exposeGc', () => {
  it('offers V8’s gc() at run time, the same function every time, which takes a minor collection', () => {
    const gc = exposeGc();
    expect(typeof gc).toBe('function');
    expect(exposeGc()).toBe(gc);
    expect(() => gc!({ type: 'minor' })).not.toThrow();
  });
});
