import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('reports each dependency; a failing or silent one is down', async () => {
    const r = new Readiness(
      {
        database: async () => 1,
        blob_store: () => Promise.reject(new Error('ECONNREFUSED')),
        redis: () => new Promise(() => {}), // never answers
      },
      20,
    );
    expect(await r.check()).toEqual({
      ready: false,
      checks: { database: 'ok', blob_store: 'down', redis: 'down' },
    });
  });

  it('an optional dependency (clamav) down is reported without making the node unready', async () => {
    const r = new Readiness(
      { database: async () => 1, clamav: () => Promise.reject(new Error('ENOENT')) },
      20,
      ['clamav'],
    );
    expect(await r.check()).toEqual({ ready: true, checks: { database: 'ok', clamav: 'down' } });
  });

  it('is ready when every probe answers, and concurrent checks share one round of probes', async () => {
    let calls = 0;
    const r = new Readiness({
      database: async () => {
        calls++;
      },
    });
    const [a, b, c] = await Promise.all([r.check(), r.check(), r.check()]);
    expect(a).toEqual({ ready: true, checks: { database: 'ok' } });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(calls).toBe(1);
    await r.check();
    expect(calls).toBe(2);
  });
});
