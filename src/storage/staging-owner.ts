import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomHex } from '../core/random.js';

/**
 * Staging files name the process that writes them: `<pid>.<host>-<time>-<random>.part`, `<host>`
 * being a short hash of the host name (containers sharing a volume have their own pid spaces, so
 * a pid means something only on its own host). A file whose process is gone (a worker killed
 * under `--workers`, a crash) is abandoned and can be removed by anyone on the same host; files
 * of live processes and of other hosts are never touched.
 */
const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const OWNED = /^(\d+)\.([0-9a-f]{8})-/;

/** A fresh staging file name owned by this process. */
export function stagingName(): string {
  return `${process.pid}.${HOST}-${Date.now()}-${randomHex(8)}.part`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether this staging file's writer is known to be gone. */
export function isAbandoned(name: string, opts: { legacy: boolean }): boolean {
  const m = OWNED.exec(name);
  // Not named by its owner (earlier versions' `<time>-<random>.part`): owner unknown.
  if (!m) return opts.legacy;
  const pid = Number(m[1]);
  return m[2] === HOST && pid !== process.pid && !alive(pid);
}

/**
 * The abandoned staging files of `dir`; removed when `remove`. `legacy`: also files whose name
 * names no owner (earlier versions'), at the start of a server.
 */
export async function abandonedStaging(
  dir: string,
  opts: { remove: boolean; legacy: boolean },
): Promise<number> {
  let n = 0;
  // Files only: folders (`tus/`, resumable uploads, expired by their own sweep) are not staging files.
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const name = e.name;
    if (!e.isFile() || !isAbandoned(name, opts)) continue;
    n++;
    if (opts.remove) await fs.rm(path.join(dir, name), { force: true });
  }
  return n;
}
