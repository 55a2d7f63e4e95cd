import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClamdScanner } from '../src/scan/clamd.js';
import { EICAR, EICAR_SIG, startClamd, type Clamd } from './clamd.js';

/**
 * clamd's scan limits, with a real clamd: past MaxFileSize/MaxScanSize clamd skips the content and
 * answers OK unless AlertExceedsMax is on (docs/DEPLOYMENT.md asks for it); with it, the
 * `Heuristics.Limits.Exceeded.*` answer is `unscanned`, never clean.
 */
describe('clamd scan limits', () => {
  let clamd: Clamd;
  let scanner: ClamdScanner;
  beforeAll(async () => {
    clamd = await startClamd({
      streamMax: '10M',
      extraConfig: ['MaxFileSize 1M', 'MaxScanSize 1M', 'AlertExceedsMax yes'],
    });
    scanner = new ClamdScanner({ unix: clamd.socket }, { timeoutMs: 10_000 });
  }, 60_000);
  afterAll(async () => {
    await clamd?.close();
  });

  it('a file past MaxFileSize is unscanned; below it, scanned', async () => {
    const big = await scanner.scan(Readable.from([randomBytes(2 * 1024 * 1024)]));
    expect(big).toEqual({
      status: 'unscanned',
      reason: expect.stringMatching(/^Heuristics\.Limits\.Exceeded\.Max(File|Scan)Size$/),
    });
    expect(await scanner.scan(Readable.from([EICAR]))).toEqual({
      status: 'infected',
      signature: EICAR_SIG,
    });
    expect(await scanner.scan(Readable.from([randomBytes(100_000)]))).toEqual({ status: 'clean' });
  });

  it('streams many small chunks from a slow source (backpressure both ways)', async () => {
    async function* slow() {
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setImmediate(r));
        yield i === 25 ? EICAR : randomBytes(10_000);
      }
    }
    expect(await scanner.scan(Readable.from(slow()))).toMatchObject({ status: 'infected' });
  });
});
