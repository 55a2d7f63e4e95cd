// `serve --workers 2` on SQLite: the primary checkpoints the WAL (SqliteCheckpointer), so the
// workers' connections, whose own automatic checkpoint is only a backstop far out, never stall
// their event loops on it. Seen from outside: committed uploads reach the database file itself
// while the workers checkpoint nothing (100 small uploads are far below SQLite's default 1,000
// pages, let alone the workers' backstop).
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlitePath } from '../src/storage/sqlite-file.js';
import { spawnServer, tempDir } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';

describe.skipIf(ON_SCALE_OUT)('SQLite checkpoints under --workers 2', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('the primary copies committed uploads into the database file', async () => {
    const dataDir = await tempDir();
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const server = await spawnServer(dataDir, {
      STOWAGE_WORKERS: '2',
      STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'true',
    });
    cleanups.push(() => server.stop());
    const file = sqlitePath(dataDir);
    const before = (await fs.stat(file)).size;
    const uploads = 100;
    for (let i = 0; i < uploads; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const res = await fetch(`${server.url}/api/file/f${i + j}.bin`, {
            method: 'PUT',
            body: randomBytes(4096),
          });
          expect(res.status).toBe(201);
        }),
      );
    }
    // Small bodies are kept inline in the database: once checkpointed, the file holds them all.
    const deadline = Date.now() + 10_000;
    while ((await fs.stat(file)).size < before + uploads * 4096 && Date.now() < deadline) {
      await sleep(50);
    }
    expect((await fs.stat(file)).size).toBeGreaterThanOrEqual(before + uploads * 4096);
  });
});
