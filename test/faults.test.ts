import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../src/storage/s3-blob-store.js';
import { runCli, spawnServer, tempDir } from './helpers.js';
import { PG_URL, scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

/**
 * Backend faults on the scale-out stack (PostgreSQL + s3rver + Redis), against `stowage serve`
 * child processes so that "the process survives" is observed, not assumed: PostgreSQL connections
 * terminated under concurrent load, s3rver stopped and restarted under load, Redis stopped (a
 * redis-server of this test's own, on a free port). Skipped visibly without PostgreSQL/Redis;
 * under CI=true they must run.
 */
const unavailable = await scaleOutUnavailable();

type Node = Awaited<ReturnType<typeof spawnServer>>;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function alive(node: Node): boolean {
  return node.child.exitCode === null && node.child.signalCode === null;
}

/** What the load saw: every reply is a 2xx, or a 5xx in pixeldrain's error shape. */
class Tally {
  ok = 0;
  failed = 0;
  unexpected: string[] = [];
  wrongBytes = 0;

  async check(what: string, r: Response): Promise<boolean> {
    if (r.status >= 200 && r.status < 300) {
      this.ok++;
      return true;
    }
    const text = await r.text().catch(() => '');
    let body: { success?: unknown; value?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: reported below
    }
    if (r.status >= 500 && body.success === false && typeof body.value === 'string') {
      this.failed++;
    } else {
      this.unexpected.push(`${what}: ${r.status} ${text.slice(0, 200)}`);
    }
    return false;
  }
}

/** One upload then its download, compared byte for byte. */
async function roundTrip(
  url: string,
  tally: Tally,
  size: number,
  opts: { downloadMayBreak: boolean },
): Promise<string | null> {
  const body = randomBytes(size);
  let put: Response;
  try {
    put = await fetch(`${url}/api/file/load.bin`, { method: 'PUT', body: new Uint8Array(body) });
  } catch (err) {
    tally.unexpected.push(`upload: ${(err as Error).message}`);
    return null;
  }
  if (!(await tally.check('upload', put))) return null;
  const { id } = (await put.json()) as { id: string };
  let got: Response;
  try {
    got = await fetch(`${url}/api/file/${id}`);
  } catch (err) {
    tally.unexpected.push(`download: ${(err as Error).message}`);
    return id;
  }
  if (!(await tally.check('download', got))) return id;
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await got.arrayBuffer());
  } catch (err) {
    // A body cut off by a backend failing mid-stream is not wrong bytes: the client sees an error.
    if (!opts.downloadMayBreak) tally.unexpected.push(`download body: ${(err as Error).message}`);
    return id;
  }
  if (sha256(bytes) !== sha256(body)) tally.wrongBytes++;
  return id;
}

/** Run `fn` in `clients` loops until `until` resolves. */
async function load(clients: number, until: Promise<unknown>, fn: (i: number) => Promise<void>) {
  let done = false;
  const stop = () => {
    done = true;
  };
  until.then(stop, stop);
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!done) await fn(n++);
    }),
  );
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A redis-server of this test's own (never the shared one): started, killed, started again. */
function ownRedis(port: number) {
  let child: ChildProcess | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const c = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      c.on('error', () => {});
      child = c;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        c.stdout!.on('data', (d) => {
          out += d;
          if (out.includes('Ready to accept connections')) resolve();
        });
        c.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
      });
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
  };
}

describe.skipIf(unavailable !== null)('backend faults (PostgreSQL, S3, Redis)', () => {
  let stack: ScaleOutStack;
  const dirs: string[] = [];
  const nodes: Node[] = [];
  const stderr = new Map<Node, string>();
  let stopping = false;

  async function start(env: Record<string, string> = {}): Promise<Node> {
    const dir = await tempDir();
    dirs.push(dir);
    const node = await spawnServer(dir, { ...stack.env, ...env });
    let err = '';
    node.child.stderr!.on('data', (d) => (err += d));
    stderr.set(node, '');
    node.child.once('exit', (code, signal) => {
      stderr.set(node, err);
      if (!stopping) console.error(`node exited (${signal ?? code}):\n${err}`);
    });
    nodes.push(node);
    return node;
  }

  beforeAll(async () => {
    stack = await scaleOutStack();
  }, 30_000);

  afterAll(async () => {
    stopping = true;
    for (const n of nodes) await n.stop().catch(() => {});
    await stack?.s3.resume().catch(() => {});
    await stack?.cleanup();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  /** The blob rows of the database and the objects of the bucket are the same set. */
  async function storeAgrees(): Promise<boolean> {
    const db = new pg.Client({ connectionString: PG_URL });
    db.on('error', () => {});
    await db.connect();
    let referenced: string[];
    try {
      const { rows } = await db.query(
        `select location from "${stack.schema}".blobs where location <> 'inline'
         union all select location from "${stack.schema}".derived_images`,
      );
      referenced = rows.map((r: { location: string }) => r.location).sort();
    } finally {
      await db.end();
    }
    const store = new S3BlobStore({
      bucket: stack.s3.bucket,
      region: 'us-east-1',
      endpoint: stack.s3.endpoint,
      forcePathStyle: true,
      prefix: '',
      checksums: 'when_required',
    });
    const stored: string[] = [];
    try {
      for await (const loc of store.list()) stored.push(loc);
    } finally {
      await store.close();
    }
    return JSON.stringify(stored.sort()) === JSON.stringify(referenced);
  }

  it('PostgreSQL connections terminated under concurrent load: 5xx for those requests, the node lives on and reconnects', async () => {
    // Its own application_name, so only this node's connections are terminated.
    const appName = `stowage_${stack.schema}`;
    const u = new URL(PG_URL);
    u.searchParams.set('application_name', appName);
    const node = await start({ STOWAGE_DATABASE_URL: u.toString() });

    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => {});
    await killer.connect();
    const tally = new Tally();
    let terminated = 0;
    try {
      const killing = (async () => {
        for (let round = 0; round < 25; round++) {
          const { rows } = await killer.query(
            `select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity
             where application_name = $1 and pid <> pg_backend_pid()) t`,
            [appName],
          );
          terminated += (rows[0] as { n: number }).n;
          await sleep(100);
        }
      })();
      await load(8, killing, async (i) => {
        await roundTrip(node.url, tally, 20_000 + ((i * 7919) % 150_000), {
          downloadMayBreak: false,
        });
      });
    } finally {
      await killer.end();
    }

    expect(terminated).toBeGreaterThan(0);
    expect(alive(node), stderr.get(node)).toBe(true);
    expect(tally.unexpected).toEqual([]);
    expect(tally.wrongBytes).toBe(0);
    expect(tally.ok).toBeGreaterThan(0);

    // Reconnected by itself: ready again, and a new upload round-trips byte-exact.
    await waitFor(
      async () => (await fetch(`${node.url}/api/health/ready`)).status === 200,
      10_000,
      'the node to be ready again',
    );
    const after = new Tally();
    expect(await roundTrip(node.url, after, 123_457, { downloadMayBreak: false })).not.toBeNull();
    expect(after).toMatchObject({ ok: 2, failed: 0, unexpected: [], wrongBytes: 0 });
    expect(alive(node)).toBe(true);
    // No file lost its bytes (a commit whose answer was lost keeps its object; at worst an
    // unreferenced one is left for gc --fix), and the counts agree.
    const gc = await runCli(['gc', '--min-age', '0'], { env: stack.env });
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('missing objects (files without their bytes): 0, 0 file(s)');
    expect(gc.stdout).toContain('wrong reference counts: 0');
  }, 60_000);

  it('s3rver stopped and restarted under load: no wrong bytes, deletes complete, no leaked objects', async () => {
    const node = await start();
    // Files to delete while S3 is down (the row goes at once, the object once S3 is back).
    const doomed: { id: string; deleteKey: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${node.url}/api/file/doomed${i}.bin`, {
        method: 'PUT',
        body: new Uint8Array(randomBytes(100_000 + i)),
      });
      expect(r.status).toBe(201);
      doomed.push((await r.json()) as { id: string; deleteKey: string });
    }

    const tally = new Tally();
    const deletes: number[] = [];
    const outage = (async () => {
      await sleep(300);
      await stack.s3.halt();
      try {
        const ready = await fetch(`${node.url}/api/health/ready`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({
          status: 'unavailable',
          checks: { database: 'ok', blob_store: 'down', redis: 'ok' },
        });
        for (const { id, deleteKey } of doomed) {
          const r = await fetch(`${node.url}/api/file/${id}?key=${deleteKey}`, {
            method: 'DELETE',
          });
          deletes.push(r.status);
        }
        await sleep(700);
      } finally {
        await stack.s3.resume();
      }
      await sleep(300);
    })();
    await load(6, outage, async (i) => {
      await roundTrip(node.url, tally, 70_000 + ((i * 7919) % 200_000), { downloadMayBreak: true });
    });
    await outage;

    expect(alive(node), stderr.get(node)).toBe(true);
    expect(tally.unexpected).toEqual([]);
    expect(tally.wrongBytes).toBe(0);
    expect(tally.failed).toBeGreaterThan(0); // the outage was felt
    // The deletes completed and said so: no 500 that did half the work.
    expect(deletes).toEqual(doomed.map(() => 200));
    for (const { id } of doomed) {
      expect((await fetch(`${node.url}/api/file/${id}/info`)).status).toBe(404);
    }

    // Once S3 is back: the released objects are removed, nothing leaked, gc agrees.
    await waitFor(storeAgrees, 20_000, 'the database and the bucket to agree');
    const after = new Tally();
    expect(await roundTrip(node.url, after, 99_999, { downloadMayBreak: false })).not.toBeNull();
    expect(after).toMatchObject({ ok: 2, unexpected: [], wrongBytes: 0 });
    const gc = await runCli(['gc', '--min-age', '0'], { env: stack.env });
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('ok: the database and the blob store agree');
  }, 60_000);
  it('Redis stopped: 503 at once on what needs it (login), the rest unaffected, back by itself', async () => {
    const redis = ownRedis(await freePort());
    await redis.start();
    try {
      const node = await start({ STOWAGE_REDIS_URL: redis.url });
      const add = await runCli(['user', 'add', 'redisuser', '--password-stdin'], {
        env: { ...stack.env, STOWAGE_REDIS_URL: redis.url },
        input: 'a-long-enough-password\n',
      });
      expect(add.code, add.stderr).toBe(0);
      const login = () =>
        fetch(`${node.url}/api/user/login`, {
          method: 'POST',
          body: new URLSearchParams({ username: 'redisuser', password: 'a-long-enough-password' }),
        });
      expect((await login()).status).toBe(201);

      await redis.stop();
      const down = await login();
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        success: false,
        value: 'service_unavailable',
        message: 'A service this request needs cannot be reached at the moment, try again later',
      });
      const ready = await fetch(`${node.url}/api/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        checks: { database: 'ok', blob_store: 'ok', redis: 'down' },
      });
      // What does not need Redis works: liveness, upload, download (its count is best effort).
      expect((await fetch(`${node.url}/api/health`)).status).toBe(200);
      const tally = new Tally();
      expect(await roundTrip(node.url, tally, 80_000, { downloadMayBreak: false })).not.toBeNull();
      expect(tally).toMatchObject({ ok: 2, failed: 0, unexpected: [], wrongBytes: 0 });

      // Redis back on the same address: the node reconnects without a restart.
      await redis.start();
      await waitFor(async () => (await login()).status === 201, 15_000, 'login to work again');
      expect((await fetch(`${node.url}/api/health/ready`)).status).toBe(200);
      expect(alive(node), stderr.get(node)).toBe(true);
    } finally {
      await redis.stop();
    }
  }, 60_000);
});
