/**
 * rclone commands on top of the backend replay (pixeldrain.ts), as rclone's generic code drives a
 * backend without ListR: `walk` lists one directory per `List` call, level by level; `copy` is
 * sync.CopyDir (march over source and destination, Put for what is missing or differs, the size
 * and hash checks of operations.Copy, then the delayed directory modtimes deepest first);
 * `lsjson` prints what lsjson prints.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatRFC3339Nano, goDir, type GoTime } from './go.js';
import { PixeldrainFs, RcloneError, type Entry, type Options, type RObject } from './pixeldrain.js';

export interface LocalFile {
  remote: string;
  data: Buffer;
  mtime: GoTime;
  /** Birth time; null where statx has none (rclone's local backend then sends no btime). */
  btime: GoTime | null;
  mode: bigint;
  sha256: string;
}

export interface LocalTree {
  files: LocalFile[];
  /** Directories below the root, with their mtime. */
  dirs: { remote: string; mtime: GoTime }[];
}

/** rclone's local backend: ns mtimes from stat, metadata mode as `%0o` of st_mode (e.g. 100644). */
export async function readLocalTree(root: string, offsetMin: number): Promise<LocalTree> {
  const tree: LocalTree = { files: [], dirs: [] };
  const visit = async (rel: string): Promise<void> => {
    // Sorted by bytes, as rclone sorts a listing (march compares sorted entries).
    const names = (await fs.readdir(path.join(root, rel))).sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    for (const name of names) {
      const remote = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, remote);
      const st = await fs.stat(abs, { bigint: true });
      if (st.isDirectory()) {
        tree.dirs.push({ remote, mtime: { ns: st.mtimeNs, offsetMin } });
        await visit(remote);
      } else {
        const data = await fs.readFile(abs);
        tree.files.push({
          remote,
          data,
          mtime: { ns: st.mtimeNs, offsetMin },
          btime: st.birthtimeNs > 0n ? { ns: st.birthtimeNs, offsetMin } : null,
          mode: st.mode,
          sha256: createHash('sha256').update(data).digest('hex'),
        });
      }
    }
  };
  await visit('');
  return tree;
}

/** walk.ListR's fallback for a backend without ListR: List per directory, a level at a time. */
export async function walk(f: PixeldrainFs, dir = ''): Promise<Entry[]> {
  const out: Entry[] = [];
  let level = [dir];
  while (level.length > 0) {
    const lists = await Promise.all(level.map((d) => f.list(d)));
    level = [];
    for (const entries of lists) {
      for (const e of entries) {
        out.push(e);
        if (e.dir) level.push(e.remote);
      }
    }
  }
  return out;
}

export function remoteOf(e: Entry): string {
  return e.dir ? e.remote : e.object.base.path;
}

/** What `rclone lsjson -R` prints for the entries (sorted by path here). */
export function lsjson(entries: Entry[]): Record<string, unknown>[] {
  return entries
    .map((e) => {
      const remote = remoteOf(e);
      const common = { Path: remote, Name: path.posix.basename(remote) };
      if (e.dir) {
        return {
          ...common,
          Size: -1,
          MimeType: 'inode/directory',
          ModTime: e.modified ? formatRFC3339Nano(e.modified) : '0001-01-01T00:00:00Z',
          IsDir: true,
          ...(e.id ? { ID: e.id } : {}),
        };
      }
      const b = e.object.base;
      return {
        ...common,
        Size: b.fileSize,
        MimeType: b.fileType,
        ModTime: b.modified ? formatRFC3339Nano(b.modified) : '0001-01-01T00:00:00Z',
        IsDir: false,
      };
    })
    .sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

export interface CopyResult {
  f: PixeldrainFs;
  uploaded: RObject[];
  modTimesSet: string[];
  dirModTimesSet: string[];
  mkdirs: string[];
  errors: string[];
}

const WINDOW_NS = 1_000_000n; // fs.GetModifyWindow: the coarser precision, pixeldrain's 1 ms

function withinWindow(a: GoTime | null, b: GoTime): boolean {
  if (!a) return false;
  const dt = a.ns - b.ns;
  return dt < WINDOW_NS && dt > -WINDOW_NS;
}

/**
 * `rclone copy <local> remote:<dstRoot>` (optionally --create-empty-src-dirs / -M): NewFs, march,
 * transfers with operations.Copy's checks, then the delayed directory modtimes.
 */
export async function rcloneCopy(
  opt: Options,
  src: LocalTree,
  dstRoot: string,
  flags: { createEmptySrcDirs?: boolean; metadata?: boolean } = {},
): Promise<CopyResult> {
  const { f } = await PixeldrainFs.newFs(opt, dstRoot);
  const r: CopyResult = {
    f,
    uploaded: [],
    modTimesSet: [],
    dirModTimesSet: [],
    mkdirs: [],
    errors: [],
  };
  const delayed: { dir: string; mtime: GoTime; level: number }[] = [];
  const modifiedDirs = new Set<string>();
  const parentOf = (p: string): string => (goDir(p) === '.' ? '' : goDir(p));

  const transfer = async (file: LocalFile, dst: RObject | null): Promise<void> => {
    const meta: Record<string, string> = flags.metadata
      ? {
          mtime: formatRFC3339Nano(file.mtime),
          ...(file.btime ? { btime: formatRFC3339Nano(file.btime) } : {}),
          mode: file.mode.toString(8),
        }
      : {};
    let obj: RObject;
    if (dst) {
      await f.updateObject(dst, file.data, file.mtime);
      obj = dst;
    } else obj = await f.put(file.remote, file.data, file.mtime, meta);
    // operations.Copy: sizes, then the common hash (SHA-256) of source and destination.
    if (obj.base.fileSize !== file.data.length)
      r.errors.push(`${file.remote}: corrupted on transfer: sizes differ`);
    else if (obj.base.sha256 !== '' && obj.base.sha256 !== file.sha256) {
      r.errors.push(`${file.remote}: corrupted on transfer: sha256 hashes differ`);
      await f.remove(obj);
    } else r.uploaded.push(obj);
  };

  const marchDir = async (dir: string, dstExists: boolean): Promise<void> => {
    let dstEntries: Entry[] = [];
    if (dstExists) {
      try {
        dstEntries = await f.list(dir);
      } catch (err) {
        if (!(err instanceof RcloneError && err.kind === 'ErrorDirNotFound')) throw err;
      }
    }
    const dstByRemote = new Map(dstEntries.map((e) => [remoteOf(e), e]));
    const inDir = (p: string): boolean => parentOf(p) === dir;
    for (const file of src.files.filter((x) => inDir(x.remote))) {
      const dst = dstByRemote.get(file.remote);
      if (dst?.dir) {
        r.errors.push(`${file.remote}: can't overwrite directory with file`);
        continue;
      }
      const obj = dst?.object ?? null;
      if (obj && obj.base.fileSize === file.data.length) {
        if (withinWindow(obj.base.modified, file.mtime)) continue;
        if (obj.base.sha256 === file.sha256) {
          await f.setModTime(obj, file.mtime);
          r.modTimesSet.push(file.remote);
          continue;
        }
      }
      modifiedDirs.add(dir);
      await transfer(file, obj);
    }
    for (const d of src.dirs.filter((x) => inDir(x.remote))) {
      const dst = dstByRemote.get(d.remote);
      const level = d.remote.split('/').length;
      if (dst && !dst.dir) {
        r.errors.push(`${d.remote}: can't overwrite file with directory`);
        continue;
      }
      if (!dst && flags.createEmptySrcDirs) {
        // MkdirModTime: no MkdirMetadata, so Mkdir then DirSetModTime.
        await f.mkdir(d.remote);
        r.mkdirs.push(d.remote);
        await f.dirSetModTime(d.remote, d.mtime);
        r.dirModTimesSet.push(d.remote);
      } else if (dst?.dir && !withinWindow(dst.modified, d.mtime)) {
        await f.dirSetModTime(d.remote, d.mtime);
        r.dirModTimesSet.push(d.remote);
      }
      if (!flags.createEmptySrcDirs) delayed.push({ dir: d.remote, mtime: d.mtime, level });
      if (!dst) modifiedDirs.add(d.remote); // SrcOnly marks the new directory modified
      await marchDir(d.remote, Boolean(dst));
    }
  };
  await marchDir('', true);

  // setDelayedDirModTimes: deepest first; a directory whose files changed, and then its parents.
  const maxLevel = Math.max(0, ...delayed.map((d) => d.level));
  for (let level = maxLevel; level >= 0; level--) {
    for (const item of delayed.filter((d) => d.level === level)) {
      if (!modifiedDirs.has(item.dir)) continue;
      // srcEmptyDirs: without --create-empty-src-dirs, a directory with no file below it.
      if (!src.files.some((x) => x.remote.startsWith(item.dir + '/'))) continue;
      modifiedDirs.add(parentOf(item.dir));
      await f.dirSetModTime(item.dir, item.mtime);
      r.dirModTimesSet.push(item.dir);
    }
  }
  return r;
}
