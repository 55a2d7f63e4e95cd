import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryState } from '../state/memory-state.js';
import { migrate, openSqlite, type Db } from '../storage/db.js';
import { KyselyFileRepository } from '../storage/file-repository.js';
import { MemoryBlobStore } from '../storage/memory-blob-store.js';
import { FileService } from './files.js';
import type { SharedState } from './shared-state.js';

describe('FileService.recordTransfer: downloads and bandwidth', () => {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-files-'));
    db = openSqlite(dir);
    await migrate(db);
  });
  afterEach(async () => {
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A service on the real repository (temp SQLite) and in-memory blobs; one uploaded file. */
  async function setup(state?: SharedState): Promise<{ files: FileService; id: string }> {
    const files = new FileService(new KyselyFileRepository(db), new MemoryBlobStore(), {
      maxFileSize: 1024 * 1024,
      allowAnonymousUploads: true,
      // Nothing is written behind the test's back: flushCounters() does it.
      counterFlushMs: 60_000,
      cacheTtlMs: 0,
      state,
    });
    const { file } = await files.upload({
      body: Readable.from([Buffer.from('some bytes to download')]),
      name: 'f.txt',
      uploader: null,
    });
    return { files, id: file.id };
  }

  /** Write the counters (after the claims in flight have settled) and read them back. */
  async function counts(files: FileService, id: string) {
    await tick(); // claim() answers asynchronously; the download is counted when it does
    await files.flushCounters();
    const f = await files.get(id);
    return { downloads: f.downloads, bandwidth: f.bandwidthUsed };
  }

  it('repeated completed downloads by one client count once; bandwidth always adds', async () => {
    const { files, id } = await setup(new MemoryState());
    files.recordTransfer(id, 100, true, '198.51.100.7');
    files.recordTransfer(id, 100, true, '198.51.100.7');
    files.recordTransfer(id, 100, true, '198.51.100.7');
    expect(await counts(files, id)).toEqual({ downloads: 1, bandwidth: 300 });
    // Still the same client after the counters were written: still once.
    files.recordTransfer(id, 50, true, '198.51.100.7');
    expect(await counts(files, id)).toEqual({ downloads: 1, bandwidth: 350 });
  });

  it('another client counts again', async () => {
    const { files, id } = await setup(new MemoryState());
    files.recordTransfer(id, 10, true, 'client-a');
    files.recordTransfer(id, 10, true, 'client-b');
    files.recordTransfer(id, 10, true, 'client-a');
    files.recordTransfer(id, 10, true, 'client-b');
    expect(await counts(files, id)).toEqual({ downloads: 2, bandwidth: 40 });
  });

  it('one client counts once per file, not once overall', async () => {
    const state = new MemoryState();
    const { files, id } = await setup(state);
    const other = await files.upload({
      body: Readable.from([Buffer.from('other content')]),
      name: 'g.txt',
      uploader: null,
    });
    files.recordTransfer(id, 1, true, 'client-a');
    files.recordTransfer(other.file.id, 1, true, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 1, bandwidth: 1 });
    expect(await counts(files, other.file.id)).toEqual({ downloads: 1, bandwidth: 1 });
  });

  it('incomplete transfers add bandwidth but no download, and do not use up the client', async () => {
    const { files, id } = await setup(new MemoryState());
    files.recordTransfer(id, 1000, false, 'client-a');
    files.recordTransfer(id, 1000, false, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 0, bandwidth: 2000 });
    files.recordTransfer(id, 5, true, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 1, bandwidth: 2005 });
  });

  it('without a client id every completed download counts', async () => {
    const { files, id } = await setup(new MemoryState());
    files.recordTransfer(id, 7, true);
    files.recordTransfer(id, 7, true);
    files.recordTransfer(id, 7, true, undefined);
    files.recordTransfer(id, 7, false);
    expect(await counts(files, id)).toEqual({ downloads: 3, bandwidth: 28 });
  });

  it('without shared state every completed download counts, client id or not', async () => {
    const { files, id } = await setup(undefined);
    files.recordTransfer(id, 1, true, 'client-a');
    files.recordTransfer(id, 1, true, 'client-a');
    files.recordTransfer(id, 1, true);
    expect(await counts(files, id)).toEqual({ downloads: 3, bandwidth: 3 });
  });

  it('when the shared state fails, the download counts (best effort, never lost)', async () => {
    const broken: SharedState = {
      increment: () => Promise.reject(new Error('state down')),
      claim: () => Promise.reject(new Error('state down')),
      close: () => Promise.resolve(),
    };
    const { files, id } = await setup(broken);
    files.recordTransfer(id, 1, true, 'client-a');
    files.recordTransfer(id, 1, true, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 2, bandwidth: 2 });
  });

  it('the once-per-client mark lasts a day', async () => {
    let now = Date.now();
    const clock = () => now;
    const { files, id } = await setup(new MemoryState(clock));
    files.recordTransfer(id, 1, true, 'client-a');
    now += 24 * 3600 * 1000 - 1;
    files.recordTransfer(id, 1, true, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 1, bandwidth: 2 });
    now += 1;
    files.recordTransfer(id, 1, true, 'client-a');
    expect(await counts(files, id)).toEqual({ downloads: 2, bandwidth: 3 });
  });
});
