/** Shared bits of the rclone replay tests: local trees with exact mtimes, call traces. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseGoTime, truncateMs, type GoTime } from './go.js';
import type { Call, PixeldrainFs } from './pixeldrain.js';

/** Seconds (float) for fs.utimes from an RFC 3339 time with microseconds. */
function seconds(iso: string): number {
  const t = parseGoTime(iso, 'fixture')!;
  return Number(t.ns / 1000n) / 1e6;
}

/**
 * Writes a local tree: files (path, contents, mtime) and directories (path, mtime; an absent one
 * is created empty). Directory mtimes are set last, deepest first, as writing changes them.
 */
export async function writeTree(
  root: string,
  files: [string, Buffer | string, string][],
  dirs: [string, string][],
): Promise<void> {
  for (const [rel, data, mtime] of files) {
    const abs = path.join(root, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, data);
    await fs.utimes(abs, seconds(mtime), seconds(mtime));
  }
  const deepestFirst = [...dirs].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
  for (const [rel] of deepestFirst) await fs.mkdir(path.join(root, rel), { recursive: true });
  for (const [rel, mtime] of deepestFirst)
    await fs.utimes(path.join(root, rel), seconds(mtime), seconds(mtime));
}

/** One line per call: method, path and query as sent, then `2xx` or the status and `value`. */
export function describeCall(c: Call): string {
  const ok = c.status >= 200 && c.status < 300;
  const value = (c.json as { value?: unknown } | undefined)?.value;
  return `${c.method} ${c.url} ${ok ? '2xx' : `${c.status} ${String(value)}`}`;
}

export function trace(f: PixeldrainFs, from = 0): string[] {
  return f.calls.slice(from).map(describeCall);
}

/** The JSON of the last call whose method and URL start as given. */
export function answer(f: PixeldrainFs, start: string): Record<string, unknown> {
  const c = [...f.calls].reverse().find((x) => `${x.method} ${x.url}`.startsWith(start));
  if (!c) throw new Error(`no call ${start}`);
  return c.json as Record<string, unknown>;
}

/** The instant as a pixeldrain node carries it: milliseconds, UTC. */
export function ms(t: GoTime): bigint {
  return truncateMs(t).ns;
}

/** A node's time in ns (for comparisons), failing on a missing or invalid one. */
export function nodeNs(v: unknown): bigint {
  const t = parseGoTime(v, 'node time');
  if (!t) throw new Error('time missing');
  return t.ns;
}
