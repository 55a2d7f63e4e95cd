import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, tempDir } from './helpers.js';
import { EICAR, startClamd, type Clamd } from './clamd.js';

/** `stowage scan`: files stored while scanning was off are scanned, and rescanned on demand. */
describe('stowage scan', () => {
  let clamd: Clamd;
  let dir: string;

  beforeAll(async () => {
    clamd = await startClamd();
    dir = await tempDir();
    // Uploads made before scanning was turned on.
    const s = await startServer({}, dir);
    for (const body of [EICAR, randomBytes(100_000)]) {
      const r = await fetch(`${s.url}/api/file/f.bin`, {
        method: 'PUT',
        body: new Uint8Array(body),
      });
      expect(r.status).toBe(201);
    }
    await s.close();
  }, 60_000);

  afterAll(async () => {
    await clamd?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const scan = (...args: string[]) =>
    runCli(['scan', '--data-dir', dir, ...args], { env: { STOWAGE_CLAMAV: clamd.address } });

  it('scans what has no result, then nothing; --since and --all scan again', async () => {
    const first = await scan();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('scanned 2 blob(s): 1 clean, 1 infected');
    expect(first.stderr).toMatch(/2\/2 blobs \(100%\)/);
    expect((await scan()).stdout).toContain('scanned 0 blob(s)');
    expect((await scan('--since', '2000-01-01')).stdout).toContain('scanned 0 blob(s)');
    const since = await scan('--since', new Date(Date.now() + 60_000).toISOString());
    expect(since.stdout).toContain('scanned 2 blob(s): 1 clean, 1 infected');
    expect((await scan('--all')).stdout).toContain('scanned 2 blob(s)');
  }, 60_000);

  it('exits non-zero when clamd cannot be reached, or scanning is not configured', async () => {
    await clamd.stop();
    try {
      const r = await scan('--all');
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/clamd cannot be reached/);
    } finally {
      await clamd.start();
    }
    const off = await runCli(['scan', '--data-dir', dir], { env: { STOWAGE_CLAMAV: '' } });
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/STOWAGE_CLAMAV/);
    const bad = await scan('--since', 'yesterday-ish');
    expect(bad.code).toBe(2);
  }, 60_000);
});
