import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openSqlite, type Db } from '../../storage/db.js';
import { KyselyScanRepository } from '../../storage/scan-repository.js';
import type { TelemetryEvent, TelemetryLabels } from '../telemetry.js';
import { ScanService, type OpenBlob } from './scan-service.js';
import { ScannerUnavailable, type ScanVerdict, type VirusScanner } from './scanner.js';

/** ScanService with a scripted scanner over a real (SQLite) blob table. */
describe('ScanService', () => {
  let dir: string;
  let db: Db;
  let repo: KyselyScanRepository;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-scansvc-'));
    db = openSqlite(dir);
    await migrate(db);
    repo = new KyselyScanRepository(db);
    await db
      .insertInto('blobs')
      .values({ key: 'k', location: 'loc', size: 5, refcount: 1, data: null, created_at: 1 })
      .execute();
  });
  afterEach(async () => {
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const statusOf = async () =>
    (await db.selectFrom('blobs').selectAll().where('key', '=', 'k').executeTakeFirstOrThrow())
      .scan_status;

  function service(scan: () => Promise<ScanVerdict>, open?: OpenBlob) {
    const events: Array<[TelemetryEvent, TelemetryLabels | undefined]> = [];
    const scanner: VirusScanner = {
      scan: async (bytes) => {
        bytes.resume();
        return scan();
      },
      version: async () => 'Fake 1.0',
      ping: async () => {},
    };
    const svc = new ScanService(
      repo,
      scanner,
      open ?? (async () => Readable.from([Buffer.from('hello')])),
      {
        concurrency: 2,
        telemetry: { event: (e, l) => void events.push([e, l]), gauge() {} },
      },
    );
    return { svc, events };
  }

  it('a blob that cannot be read is an error result (retried later), not a crash', async () => {
    const { svc, events } = service(
      async () => ({ status: 'clean' }),
      async () => {
        throw new Error('NoSuchKey');
      },
    );
    await svc.enqueue('k');
    expect(await statusOf()).toBe('error');
    const row = await db.selectFrom('blobs').selectAll().executeTakeFirstOrThrow();
    expect(row.scan_signature).toMatch(/reading the blob failed: NoSuchKey/);
    expect(events).toContainEqual(['virus_scan', { status: 'error' }]);
  });

  it('an unreachable scanner gives the claim back; the next try scans', async () => {
    let up = false;
    const { svc, events } = service(async () => {
      if (!up) throw new ScannerUnavailable('down');
      return { status: 'infected', signature: 'Sig' };
    });
    const results: string[] = [];
    svc.onResult((_k, r) => results.push(r.status));
    await svc.enqueue('k');
    expect(await statusOf()).toBeNull();
    expect(svc.counts).toEqual({ scans: 1, deferred: 1 });
    expect(events).toContainEqual(['virus_scan', { status: 'unavailable' }]);
    up = true;
    await svc.enqueue('k');
    expect(await statusOf()).toBe('infected');
    expect(results).toEqual(['infected']);
    // Has a result now: nothing more to do, whoever asks.
    await svc.enqueue('k');
    svc.stored({ blobKey: 'k', scanStatus: 'infected' });
    await svc.idle();
    expect(svc.counts.scans).toBe(2);
  });

  it('close aborts a running scan and gives its claim back', async () => {
    const { svc } = service(() => new Promise(() => {}));
    const scanner = (svc as unknown as { scanner: VirusScanner }).scanner;
    scanner.scan = (bytes, signal) =>
      new Promise((_r, reject) => {
        bytes.resume();
        signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const running = svc.enqueue('k');
    await new Promise((r) => setTimeout(r, 50));
    await svc.close();
    await running;
    const row = await db.selectFrom('blobs').selectAll().executeTakeFirstOrThrow();
    expect(row.scan_status).toBeNull();
    expect(row.scanned_at).toBeNull();
  });
});
