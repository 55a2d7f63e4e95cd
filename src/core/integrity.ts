import { INLINE_LOCATION, type BlobStore } from './blob-store.js';
import { CoreError } from './errors.js';

/** What the metadata says about stored bytes (port; Kysely adapter in src/storage). */
export interface IntegrityRepository {
  /** Every blob row with the number of files and of file nodes that actually reference it. */
  blobRows(): Promise<BlobRow[]>;
  /** Locations of derived images (thumbnails...), which live in the blob store too. */
  derivedLocations(): Promise<string[]>;
  setRefcount(key: string, refcount: number): Promise<void>;
  /** Remove a blob row nothing references (no file, no file node). */
  deleteBlobRow(key: string): Promise<void>;
  /** The files whose content is this blob. */
  fileIdsOfBlob(key: string): Promise<string[]>;
  /** The file nodes (filesystem API) whose content is this blob. */
  nodesOfBlob(key: string): Promise<NodeRef[]>;
  /** Point a blob row at a new location, if it still holds `from` (resumable migration). */
  moveBlob(key: string, from: string, to: string): Promise<boolean>;
  /** Drop derived-image rows (they are caches, regenerated on demand). */
  clearDerived(): Promise<number>;
}

export interface BlobRow {
  key: string;
  location: string;
  refcount: number;
  /** Rows of `files` with this content. */
  files: number;
  /** File nodes (`fs_nodes`) with this content. */
  nodes: number;
}

/** A file node: its owner, and its path in the owner's tree ('/docs/a.txt'). */
export interface NodeRef {
  ownerId: string;
  /** The owner's username, to show. */
  owner: string;
  path: string;
}

export interface GcReport {
  /** Stored objects no row references (older than the grace period). */
  orphans: string[];
  /** Blob rows whose bytes are missing from the store, with the files and nodes they break. */
  missing: { key: string; location: string; fileIds: string[]; nodes: NodeRef[] }[];
  /** Blob rows whose reference count disagrees with their files and file nodes. */
  miscounted: { key: string; recorded: number; actual: number; files: number; nodes: number }[];
  /** Stored objects younger than the grace period (maybe an upload in flight): left alone. */
  young: number;
  /** Uploads in progress or abandoned (staging files, incomplete multipart uploads); null: unknown. */
  pendingUploads: number | null;
  /** Of those, uploads whose process is gone (staging files of a dead worker): removed by `fix`. */
  abandonedUploads: number;
  fixed: boolean;
}

/** Removes a file through the normal delete path (used to drop files whose bytes are gone). */
export type FileRemover = (fileId: string) => Promise<void>;
/** Removes a file node through the filesystem's delete path (its bytes are gone). */
export type NodeRemover = (ownerId: string, path: string) => Promise<void>;

/**
 * Consistency between metadata and blob store: `gc` (report, and with `fix` repair) and storage
 * migration. Uploads commit bytes before their row, so a young unreferenced object may be an
 * upload in flight: objects younger than `minAgeMs` are never treated as orphans.
 */
export class IntegrityService {
  constructor(
    private readonly repo: IntegrityRepository,
    private readonly blobs: BlobStore,
    private readonly removeFile: FileRemover,
    private readonly removeNode: NodeRemover,
    private readonly now: () => number = Date.now,
  ) {}

  async gc(opts: { fix: boolean; minAgeMs: number }): Promise<GcReport> {
    const rows = await this.repo.blobRows();
    const referenced = new Set<string>(await this.repo.derivedLocations());
    for (const r of rows) if (r.location !== INLINE_LOCATION) referenced.add(r.location);

    const stored = new Set<string>();
    const orphans: string[] = [];
    let young = 0;
    for await (const location of this.blobs.list()) {
      stored.add(location);
      if (referenced.has(location)) continue;
      const st = await this.blobs.stat(location);
      if (!st) continue; // deleted meanwhile
      if (st.modifiedAt !== undefined && this.now() - st.modifiedAt < opts.minAgeMs) {
        young++;
        continue;
      }
      orphans.push(location);
    }

    const missing: GcReport['missing'] = [];
    const miscounted: GcReport['miscounted'] = [];
    for (const r of rows) {
      if (r.location !== INLINE_LOCATION && !stored.has(r.location)) {
        // Listed before the row was read? Ask the store once more before calling it missing.
        if (!(await this.blobs.stat(r.location))) {
          missing.push({
            key: r.key,
            location: r.location,
            fileIds: await this.repo.fileIdsOfBlob(r.key),
            nodes: await this.repo.nodesOfBlob(r.key),
          });
          continue;
        }
      }
      // Files and file nodes both hold references: a count of files alone would call a blob that
      // only nodes hold unreferenced.
      const actual = r.files + r.nodes;
      if (r.refcount !== actual) {
        miscounted.push({
          key: r.key,
          recorded: r.refcount,
          actual,
          files: r.files,
          nodes: r.nodes,
        });
      }
    }

    const report: GcReport = {
      orphans,
      missing,
      miscounted,
      young,
      pendingUploads: await this.blobs.pendingUploads(),
      abandonedUploads: (await this.blobs.abandonedUploads?.({ remove: false })) ?? 0,
      fixed: false,
    };
    if (!opts.fix) return report;

    if (report.abandonedUploads > 0) {
      report.abandonedUploads = await this.blobs.abandonedUploads!({ remove: true });
      report.pendingUploads = await this.blobs.pendingUploads();
    }
    for (const location of orphans) await this.blobs.delete(location);
    for (const m of missing) {
      // The bytes are gone: the files and nodes cannot be served. Deleting them releases the row.
      for (const id of m.fileIds) await this.removeFile(id).catch(() => {});
      for (const n of m.nodes) await this.removeNode(n.ownerId, n.path).catch(() => {});
    }
    for (const c of miscounted) {
      if (c.actual > 0) await this.repo.setRefcount(c.key, c.actual);
      else await this.repo.deleteBlobRow(c.key);
    }
    report.fixed = true;
    return report;
  }

  /**
   * Copy every blob from `source` to `target` and point its row at the copy. The SHA-256 of each
   * copy is checked against the row's key; rows already pointing into the target are skipped, so
   * an interrupted run can simply be started again. The source is left untouched.
   */
  async migrateStorage(
    source: BlobStore,
    target: BlobStore,
    progress: (done: number, total: number, bytes: number) => void = () => {},
  ): Promise<{ copied: number; skipped: number; bytes: number; derivedDropped: number }> {
    const rows = (await this.repo.blobRows()).filter((r) => r.location !== INLINE_LOCATION);
    let copied = 0;
    let skipped = 0;
    let bytes = 0;
    for (const [i, r] of rows.entries()) {
      if (target.owns(r.location) && !source.owns(r.location)) {
        skipped++;
        progress(i + 1, rows.length, bytes);
        continue;
      }
      const staged = await target.put(await source.get(r.location), {
        maxBytes: Number.MAX_SAFE_INTEGER,
        inlineMax: 0,
      });
      if (staged.sha256 !== r.key) {
        await staged.discard();
        throw new CoreError(
          'storage_failed',
          `blob ${r.key} read back from ${r.location} with SHA-256 ${staged.sha256}: not copied`,
        );
      }
      const location = await staged.commit();
      if (await this.repo.moveBlob(r.key, r.location, location)) {
        copied++;
        bytes += staged.size;
      } else {
        // The row changed meanwhile (file deleted, or moved by another run): drop our copy.
        await target.delete(location);
        skipped++;
      }
      progress(i + 1, rows.length, bytes);
    }
    const derivedDropped = await this.repo.clearDerived();
    return { copied, skipped, bytes, derivedDropped };
  }
}
