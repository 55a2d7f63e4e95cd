import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { tempDir } from './helpers.js';
import { ON_SCALE_OUT, scaleOutStack, type ScaleOutStack } from './scaleout.js';
import { OWN_MARKER, startClamd, type Clamd } from './clamd.js';

/**
 * Two nodes on one store (embedded: one data dir; STOWAGE_TEST_STACK=scaleout: one PostgreSQL
 * schema, one S3 bucket, one Redis) and one clamd: the same bytes uploaded to both at once are
 * scanned once, and both nodes' catch-up sweeps together never scan a blob twice.
 */
describe('virus scanning on two nodes', () => {
  let clamd: Clamd;
  let stack: ScaleOutStack | null = null;
  let dir: string;
  const nodes: { app: App; url: string }[] = [];

  beforeAll(async () => {
    clamd = await startClamd();
    stack = ON_SCALE_OUT ? await scaleOutStack() : null;
    dir = await tempDir();
    for (let i = 0; i < 2; i++) {
      const config = loadConfig(
        {
          ...(stack?.config ?? {}),
          host: '127.0.0.1',
          port: 0,
          dataDir: dir,
          logLevel: 'silent',
          clamav: clamd.address,
          clamavSweepMs: 0,
        },
        {},
      );
      const app = await buildApp(config);
      nodes.push({ app, url: await app.listen() });
    }
  }, 60_000);

  afterAll(async () => {
    for (const { app } of nodes) await app.close();
    await stack?.cleanup();
    await clamd?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const scans = () => nodes.reduce((n, { app }) => n + app.runtime.core.scanning!.counts.scans, 0);
  const idle = () => Promise.all(nodes.map(({ app }) => app.runtime.core.scanning!.idle()));
  const put = async (url: string, body: Buffer) => {
    const r = await fetch(`${url}/api/file/x.bin`, { method: 'PUT', body: new Uint8Array(body) });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  };
  const blobOf = async (id: string) => {
    const file = await nodes[0]!.app.runtime.core.files.get(id);
    return nodes[0]!.app.runtime.db
      .selectFrom('blobs')
      .select(['location', 'scan_status'])
      .where('key', '=', file.blobKey)
      .executeTakeFirstOrThrow();
  };

  it('identical uploads racing on both nodes are scanned once each content', async () => {
    const before = scans();
    const contents = Array.from({ length: 6 }, (_, i) =>
      Buffer.concat([randomBytes(100_000), Buffer.from(i % 2 ? OWN_MARKER : 'clean')]),
    );
    const ids = await Promise.all(contents.flatMap((c) => nodes.map(({ url }) => put(url, c))));
    await idle();
    expect(scans() - before).toBe(contents.length);
    for (const [i, id] of ids.entries()) {
      const blob = await blobOf(id);
      expect(blob.scan_status).toBe(Math.floor(i / 2) % 2 ? 'infected' : 'clean');
      // On the scale-out stack, the bytes were streamed from the bucket.
      if (ON_SCALE_OUT) expect(blob.location).toMatch(/^b\//);
    }
  });

  it('both nodes sweeping at once scan each waiting blob once', async () => {
    await clamd.stop();
    const waiting = [randomBytes(50_000), randomBytes(50_000), randomBytes(50_000)];
    const ids = [];
    for (const [i, c] of waiting.entries()) ids.push(await put(nodes[i % 2]!.url, c));
    await idle();
    for (const id of ids) expect((await blobOf(id)).scan_status).toBeNull();
    await clamd.start();
    const before = scans();
    await Promise.all(nodes.map(({ app }) => app.runtime.core.scanSweep!.runOnce()));
    await Promise.all(nodes.map(({ app }) => app.runtime.core.scanSweep!.runOnce()));
    await idle();
    for (const id of ids) expect((await blobOf(id)).scan_status).toBe('clean');
    expect(scans() - before).toBe(waiting.length);
  }, 30_000);
});
