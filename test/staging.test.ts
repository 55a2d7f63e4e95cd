import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stagingName } from '../src/storage/staging-owner.js';
import { runCli, spawnServer, stagingFiles, tempDir } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';

/**
 * Staging files name their writer's pid: what a dead process (a worker killed under --workers)
 * left is removed when a worker starts and by `stowage gc --fix`; what live processes are writing
 * is never touched. Local disk only (spawnServer runs the embedded stack).
 */

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The pid of a process that has just exited (and so owns nothing any more). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  child.on('error', () => {});
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

const ownerOf = (name: string) => Number(/^(\d+)\./.exec(name)?.[1]);

describe.skipIf(ON_SCALE_OUT)('staging files of dead processes', () => {
  let dataDir: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dataDir = await tempDir();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  afterAll(async () => {
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('gc reports them and gc --fix removes them; files of live processes stay', async () => {
    const dir = await tempDir();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const migrated = await runCli(['init', '--data-dir', dir]);
    expect(migrated.code, migrated.stderr).toBe(0);
    // This test process is alive; the other writer is gone.
    const live = stagingName();
    const dead = stagingName().replace(/^\d+/, String(await deadPid()));
    await fs.mkdir(path.join(dir, 'staging'), { recursive: true });
    await fs.writeFile(path.join(dir, 'staging', live), randomBytes(1000));
    await fs.writeFile(path.join(dir, 'staging', dead), randomBytes(1000));

    const report = await runCli(['gc', '--data-dir', dir]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('abandoned uploads (their process is gone): 1');
    expect(report.stdout).toContain('1 problem(s); run with --fix to repair');

    const fixed = await runCli(['gc', '--fix', '--data-dir', dir]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('fixed 1 problem(s)');
    expect((await stagingFiles(dir)).sort()).toEqual([live]);

    const again = await runCli(['gc', '--data-dir', dir]);
    expect(again.stdout).toContain('ok: the database and the blob store agree');
    expect(await stagingFiles(dir)).toEqual([live]);
  }, 60_000);

  it('a worker killed mid-upload under --workers 2: its staging file goes when the primary replaces it, the other worker keeps uploading', async () => {
    const srv = await spawnServer(dataDir, { STOWAGE_WORKERS: '2' });
    const workerPids = new Set<number>();
    cleanups.push(async () => {
      await srv.stop();
      for (const pid of workerPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    const port = Number(new URL(srv.url).port);

    // Slow uploads on fresh connections until two workers each stage one.
    const sockets: net.Socket[] = [];
    let feeding = true;
    const feeders: Promise<void>[] = [];
    cleanups.push(async () => {
      feeding = false;
      for (const s of sockets) s.destroy();
      await Promise.all(feeders);
    });
    const byOwner = async () => {
      const m = new Map<number, string>();
      for (const f of await stagingFiles(dataDir)) m.set(ownerOf(f), f);
      return m;
    };
    // (The second worker may still be starting: early connections all go to the first.)
    for (let i = 0; i < 12 && (await byOwner()).size < 2; i++) {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.on('error', () => {});
      sockets.push(sock);
      await new Promise((r) => sock.once('connect', r));
      sock.write(
        `PUT /api/file/slow${i}.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
      );
      feeders.push(
        (async () => {
          const chunk = randomBytes(64 * 1024);
          while (feeding && !sock.destroyed) {
            if (!sock.write(chunk))
              await new Promise((r) => sock.once('drain', r).once('close', r));
            await sleep(20);
          }
        })(),
      );
      await waitFor(
        async () => (await stagingFiles(dataDir)).length > i,
        10_000,
        'a staging file per upload',
      );
    }
    const owners = await byOwner();
    expect(owners.size).toBe(2);
    for (const pid of owners.keys()) workerPids.add(pid);
    const [victim, survivor] = [...owners.keys()];
    const survivorFile = owners.get(survivor!)!;

    process.kill(victim!, 'SIGKILL');
    // The primary forks a replacement, which removes what the dead worker left.
    await waitFor(
      async () => !(await stagingFiles(dataDir)).includes(owners.get(victim!)!),
      20_000,
      "the dead worker's staging file to be removed",
    );
    // The live worker's upload was not touched: its file is still there and still growing.
    const size = async () => (await fs.stat(path.join(dataDir, 'staging', survivorFile))).size;
    const grown = await size();
    await waitFor(async () => (await size()) > grown, 10_000, 'the live upload to go on');
    expect(srv.child.exitCode).toBeNull();
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
  }, 60_000);
});
