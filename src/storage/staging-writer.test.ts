import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../core/errors.js';
import { killHashThread } from './hash-thread.js';
import { LocalBlobStore } from './local-blob-store.js';
import { SLAB, StagingWriter } from './staging-writer.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('StagingWriter (hashing on the hash thread)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-staging-writer-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes and hashes bodies of every shape byte for byte', async () => {
    // Chunks smaller than, equal to and larger than a slab, and sizes around slab boundaries.
    const cases: Array<[number, number]> = [
      [0, 1],
      [1, 1],
      [SLAB - 1, 65536],
      [SLAB, SLAB],
      [SLAB + 1, 7],
      [3 * SLAB + 12345, 3 * SLAB],
      [9 * SLAB + 3, 100_003],
    ];
    for (const [size, chunk] of cases) {
      const data = randomBytes(size);
      const file = path.join(dir, `f-${size}-${chunk}`);
      const w = new StagingWriter(file);
      for (let i = 0; i < size; i += chunk) await w.write(data.subarray(i, i + chunk));
      const { file: fh, sha256: digest } = await w.finish();
      await fh.close();
      expect(digest, `${size}/${chunk}`).toBe(sha256(data));
      expect((await fs.readFile(file)).equals(data), `${size}/${chunk}`).toBe(true);
    }
  });

  it('fails an upload whose hash thread dies, leaves no file, and the next upload works', async () => {
    const store = new LocalBlobStore(dir);
    await store.open({ cleanStaging: true });
    const data = randomBytes(6 * SLAB);
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= data.length) return this.push(null);
        const part = data.subarray(sent, sent + SLAB);
        sent += part.length;
        // The thread dies once the upload is under way.
        if (sent === 2 * SLAB) void killHashThread().then(() => this.push(part));
        else this.push(part);
      },
    });
    const err = await store.put(body, { maxBytes: 1 << 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('storage_failed');
    expect(await fs.readdir(path.join(dir, 'staging'))).toEqual([]);

    const again = randomBytes(3 * SLAB + 5);
    const staged = await store.put(Readable.from([again]), { maxBytes: 1 << 30 });
    expect(staged.sha256).toBe(sha256(again));
    const location = await staged.commit();
    expect((await fs.readFile(store.pathOf(location))).equals(again)).toBe(true);
  });

  it('fails an upload whose disk write fails (ENOSPC) and removes what it wrote', async () => {
    const store = new LocalBlobStore(dir);
    await store.open({ cleanStaging: true });
    const probe = await fs.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as fs.FileHandle;
    await probe.close();
    const real = proto.writev;
    let calls = 0;
    proto.writev = function (this: fs.FileHandle, ...args: Parameters<fs.FileHandle['writev']>) {
      if (++calls === 2)
        return Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
      return real.apply(this, args);
    } as fs.FileHandle['writev'];
    try {
      const err = await store
        .put(Readable.from([randomBytes(5 * SLAB)]), { maxBytes: 1 << 30 })
        .catch((e: unknown) => e);
      expect((err as CoreError).code).toBe('storage_failed');
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(await fs.readdir(path.join(dir, 'staging'))).toEqual([]);
    } finally {
      proto.writev = real;
    }
  });
});
