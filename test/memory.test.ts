import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { bodyGarbage } from '../src/gc/body-garbage.js';
import { startIdleGc } from '../src/main/idle-gc.js';
import { WORKER_SEMI_SPACE_MIB, workerExecArgv } from '../src/main/serve.js';
import { basic, createUserWithKey, spawnServer, startServer, tempDir } from './helpers.js';
import { TUS, tusCreate } from './tus-helpers.js';

/** Keeps the event loop busy (synchronously) for `ms`. */
function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(10);
}

describe('idle GC (memory given back after a burst of work)', () => {
  it('collects in the two quiet intervals after a busy one, and not again while idle; trims after the second', () => {
    vi.useFakeTimers();
    try {
      let collections = 0;
      const trimmedAt: number[] = [];
      // The utilisation of each 50 ms interval, as the event loop would report it.
      const intervals = [0.1, 0.1, 0.9, 0.2, 0.5, 0.1, 0.1, 0.1, 0.7, 0.8, 0.0, 0.0, 0.0];
      const collectedAt: number[] = [];
      let tick = -1;
      let justCollected = false;
      const stop = startIdleGc({
        intervalMs: 50,
        busy: 0.6,
        quiet: 0.3,
        gc: () => {
          collections++;
          collectedAt.push(tick);
          justCollected = true;
        },
        trim: () => trimmedAt.push(collections),
        utilization: () => {
          // A call right after a collection starts the next interval: it reads nothing new.
          if (justCollected) {
            justCollected = false;
            return 0;
          }
          tick++;
          return intervals[tick] ?? 0;
        },
      });
      try {
        // Idle from the start: nothing to give back, no collection.
        vi.advanceTimersByTime(100);
        expect(collections).toBe(0);
        // Busy (0.9), then quiet (0.2), in between (0.5: neither), quiet again (0.1): two
        // collections, then idle intervals collect nothing more.
        vi.advanceTimersByTime(50 * 6);
        expect(collectedAt).toEqual([3, 5]);
        // The C heap is trimmed once, after the second collection.
        expect(trimmedAt).toEqual([2]);
        // The next burst (two busy intervals) earns the next two collections.
        vi.advanceTimersByTime(50 * 5);
        expect(collectedAt).toEqual([3, 5, 10, 11]);
        expect(trimmedAt).toEqual([2, 4]);
        vi.advanceTimersByTime(50 * 10);
        expect(collections).toBe(4);
        expect(trimmedAt).toEqual([2, 4]);
      } finally {
        stop();
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('measures the real event loop: a burst of synchronous work then quiet collects', async () => {
    let collections = 0;
    const stop = startIdleGc({
      intervalMs: 50,
      busy: 0.6,
      quiet: 0.3,
      gc: () => collections++,
      trim: null,
    });
    try {
      // A burst of work (the loop busy over several intervals), then quiet: it collects. (How
      // many times depends on the machine's load; the policy test above pins that down.)
      for (let i = 0; i < 6; i++) {
        spin(40);
        await sleep(5);
      }
      await until(() => collections >= 1);
    } finally {
      stop();
    }
  });

  it('makes gc() available to a process started without --expose-gc', async () => {
    // vitest's workers run without the flag: the real collector is found at run time.
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    const stop = startIdleGc({ intervalMs: 50 });
    stop();
    const { runInNewContext } = await import('node:vm');
    expect(typeof runInNewContext('gc')).toBe('function');
  });
});

/** The processes whose parent is `pid`. */
async function children(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, 'latin1').catch(() => null);
    if (stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid)
      out.push(Number(name));
  }
  return out;
}

describe('serve --workers', () => {
  it("gives workers a smaller young generation, unless the operator's flags or NODE_OPTIONS set one", () => {
    const small = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`;
    expect(workerExecArgv(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', small]);
    expect(workerExecArgv([], '--max-old-space-size=512')).toEqual([small]);
    expect(workerExecArgv(['--max-semi-space-size=16'], '')).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv([], '--trace-gc --max_semi_space_size=32')).toEqual([]);
  });

  /** The Node flags the workers of a server started with this environment run with. */
  async function workerFlags(env: NodeJS.ProcessEnv): Promise<string[][]> {
    const dir = await tempDir('stowage-mem-');
    const server = await spawnServer(dir, { STOWAGE_WORKERS: '2', ...env });
    try {
      const flags: string[][] = [];
      for (const pid of await children(server.child.pid!)) {
        const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'latin1')).split('\0');
        if (!argv.some((a) => a.includes('cli.ts'))) continue;
        flags.push(argv.filter((a) => a.includes('semi')));
      }
      return flags;
    } finally {
      await server.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  it('forks its workers with the smaller young generation', async () => {
    const small = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`;
    expect(await workerFlags({ NODE_OPTIONS: undefined })).toEqual([[small], [small]]);
  }, 60_000);

  it('the primary only supervises: the store is prepared by a process of its own, which exits', async () => {
    const dir = await tempDir('stowage-mem-');
    const server = await spawnServer(dir, { STOWAGE_WORKERS: '2' });
    try {
      // SQLite's native module is mapped by the processes that opened the database.
      const opened = async (pid: number) =>
        (await fs.readFile(`/proc/${pid}/maps`, 'latin1')).includes('better_sqlite3.node');
      expect(await opened(server.child.pid!)).toBe(false);
      const workers: number[] = [];
      for (const pid of await children(server.child.pid!)) {
        const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'latin1');
        if (cmdline.includes('cli.ts')) workers.push(pid);
      }
      expect(workers).toHaveLength(2);
      for (const pid of workers) expect(await opened(pid)).toBe(true);
      // Migrated: the workers serve.
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    } finally {
      await server.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a store that cannot be prepared: the primary exits with an error instead of forking workers', async () => {
    const dir = await tempDir('stowage-mem-');
    const notADir = `${dir}/file`;
    await fs.writeFile(notADir, 'x');
    try {
      await expect(spawnServer(notADir, { STOWAGE_WORKERS: '2' })).rejects.toThrow(
        /server exited with [1-9]/,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  async function workerEnv(env: NodeJS.ProcessEnv): Promise<string[]> {
    const dir = await tempDir('stowage-mem-');
    const server = await spawnServer(dir, { STOWAGE_WORKERS: '2', ...env });
    try {
      const pids = await children(server.child.pid!);
      expect(pids.length).toBeGreaterThanOrEqual(2);
      const values: string[] = [];
      for (const pid of pids) {
        // The workers themselves (tsx's esbuild service runs beside them).
        const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'latin1');
        if (!cmdline.includes('cli.ts')) continue;
        const environ = await fs.readFile(`/proc/${pid}/environ`, 'latin1');
        const vars = environ.split('\0');
        for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_'])
          values.push(vars.find((e) => e.startsWith(`${name}=`)) ?? `${name} unset`);
      }
      return values;
    } finally {
      await server.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  it('forks its workers with two malloc arenas and a fixed mmap threshold, unless the operator chose', async () => {
    const defaults = ['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072'];
    expect(
      await workerEnv({ MALLOC_ARENA_MAX: undefined, MALLOC_MMAP_THRESHOLD_: undefined }),
    ).toEqual([...defaults, ...defaults]);
    const chosen = ['MALLOC_ARENA_MAX=4', 'MALLOC_MMAP_THRESHOLD_=65536'];
    expect(await workerEnv({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '65536' })).toEqual([
      ...chosen,
      ...chosen,
    ]);
  }, 60_000);
});

describe('downloads', () => {
  it('copy through buffers no larger than the file (not 3 MiB for every download)', async () => {
    const server = await startServer();
    try {
      const key = await createUserWithKey(server, 'reader');
      // Over the 64 KiB small-blob cache, so it is copied from the blob store.
      const body = Buffer.alloc(100 * 1024, 7);
      const up = await fetch(`${server.url}/api/file/f.bin`, {
        method: 'PUT',
        headers: { Authorization: basic(key) },
        body,
      });
      expect(up.status).toBe(201);
      const { id } = (await up.json()) as { id: string };
      const spy = vi.spyOn(Buffer, 'allocUnsafe');
      try {
        const down = await fetch(`${server.url}/api/file/${id}`);
        expect(Buffer.from(await down.arrayBuffer()).equals(body)).toBe(true);
        const big = spy.mock.calls.map(([n]) => n).filter((n) => n >= 64 * 1024);
        // The server's copy buffer, and the client's (fetch runs in this process too).
        expect(big.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * body.length);
      } finally {
        spy.mockRestore();
      }
    } finally {
      await server.close();
    }
  });
});

describe('uploads', () => {
  it('report every body byte to the young-generation collector: PUT, multipart POST and tus PATCH', async () => {
    const server = await startServer();
    const spy = vi.spyOn(bodyGarbage, 'note');
    const noted = () => {
      const n = spy.mock.calls.reduce((a, [b]) => a + b, 0);
      spy.mockClear();
      return n;
    };
    try {
      const auth = { Authorization: basic(await createUserWithKey(server, 'uploader')) };
      noted();
      const body = Buffer.alloc(3 * 1024 * 1024 + 17, 1);
      const put = await fetch(`${server.url}/api/file/a.bin`, {
        method: 'PUT',
        headers: auth,
        body,
      });
      expect(put.status).toBe(201);
      expect(noted()).toBe(body.length);

      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(2 * 1024 * 1024 + 5, 2)]), 'b.bin');
      const post = await fetch(`${server.url}/api/file`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
      expect(post.status).toBe(201);
      expect(noted()).toBe(2 * 1024 * 1024 + 5);

      const data = Buffer.alloc(1024 * 1024 + 3, 3);
      const created = await tusCreate(server.url, auth, data.length, 'c.bin');
      expect(created.status).toBe(201);
      const patch = await fetch(server.url + created.headers.get('location')!, {
        method: 'PATCH',
        headers: {
          ...TUS,
          ...auth,
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': '0',
        },
        body: new Uint8Array(data),
      });
      expect(patch.status).toBe(204);
      expect(noted()).toBe(data.length);
    } finally {
      spy.mockRestore();
      await server.close();
    }
  });
});
