import type { Readable } from 'node:stream';
import type { AccountService } from '../accounts.js';
import { requireAccess } from '../access.js';
import { CoreError } from '../errors.js';
import type { FileService } from '../files.js';
import { newId } from '../ids.js';
import type { FileRecord } from '../records.js';
import { displayPath, need, resolveBucket, type BucketView, type FsCaller } from './access.js';
import { asFile } from './as-file.js';
import { NodeTrafficCounter } from './traffic.js';
import { FsError } from './errors.js';
import { ancestorsOf, checkLimits, isWithin, join, type FsPath } from './paths.js';
import { writeFile, type PutOptions } from './put.js';
import type {
  FsChange,
  FsNodeRecord,
  FsRepository,
  NodeTraffic,
  Permissions,
  ReleasedBlob,
} from './types.js';

export type { FsCaller, BucketView } from './access.js';
export type { PutOptions } from './put.js';

/** A node and the view it was reached through (answers show paths as that view names them). */
export interface Located {
  view: BucketView;
  node: FsNodeRecord;
}

export interface FsStat extends Located {
  /** From the bucket's root down to the node. */
  path: FsNodeRecord[];
  /** Children of a directory (empty for a file), directories first, then by name. */
  children: FsNodeRecord[];
}

export interface UpdateFields {
  createdAt?: number;
  modifiedAt?: number;
  mode?: number;
  shared?: boolean;
  linkPermissions?: Partial<Permissions> | null;
  userPermissions?: Record<string, Partial<Permissions>> | null;
  passwordPermissions?: Record<string, Partial<Permissions>> | null;
  properties?: Record<string, string | null>;
}

export interface FilesystemOptions {
  now?: () => number;
  /** How often counted downloads are written (0: only on close). */
  trafficFlushMs?: number;
}

/** The change log covers 30 days; a query may span no more. */
export const CHANGE_LOG_SPAN = 30 * 24 * 3600 * 1000;
/** Blobs whose bytes are removed at once after a delete (see FilesystemService.release). */
const RELEASE_CONCURRENCY = 16;
/** Freed blobs a delete removes before it answers; more go in the background. */
const RELEASE_INLINE_MAX = 256;
/** How many nodes one zip of a directory may hold. */
export const MAX_ZIP_NODES = 10_000;

const nodeId = () => newId(16);

/**
 * pixeldrain's filesystem (spec §5): every account has a tree of directories and files; a node
 * shared by its owner is reachable by its public id with the rights its permission objects give.
 * File nodes hold blobs as files do (counted references), so identical bytes are stored once.
 */
export class FilesystemService {
  private readonly now: () => number;
  private readonly releasing = new Set<Promise<void>>();
  private readonly traffic: NodeTrafficCounter;

  constructor(
    private readonly repo: FsRepository,
    private readonly files: FileService,
    private readonly accounts: AccountService,
    opts: FilesystemOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.traffic = new NodeTrafficCounter(repo, opts.trafficFlushMs ?? 5000);
  }

  /** Resolve the bucket of a path for a caller. */
  view(caller: FsCaller, bucket: string): Promise<BucketView> {
    return resolveBucket(this.repo, caller, bucket, this.now(), nodeId);
  }

  /** The stored path a request names, within its view. */
  private full(view: BucketView, p: FsPath): string {
    return join(view.base, p.parts);
  }

  private async locate(caller: FsCaller, p: FsPath): Promise<Located> {
    const view = await this.view(caller, p.bucket);
    need(view, 'read');
    if (p.parts.length === 0) return { view, node: view.root };
    const node = await this.repo.get(view.ownerId, this.full(view, p));
    if (!node) throw new FsError('path_not_found', 'The path does not exist');
    return { view, node };
  }

  /** The node at a path (to send a file's bytes, or stat a directory). */
  async get(caller: FsCaller, p: FsPath): Promise<Located> {
    const located = await this.locate(caller, p);
    if (located.view.isOwner && caller.principal) requireAccess(caller.principal, 'read_own');
    return located;
  }

  /**
   * The node, its ancestors within the bucket and, for a directory, its children: three queries in
   * one snapshot, so a concurrent move is seen wholly or not at all.
   */
  async stat(caller: FsCaller, p: FsPath): Promise<FsStat> {
    const view = await this.view(caller, p.bucket);
    need(view, 'read');
    if (view.isOwner && caller.principal) requireAccess(caller.principal, 'read_own');
    const full = this.full(view, p);
    const wanted = ancestorsOf(full).filter((a) => isWithin(a, view.base) && a !== full);
    const snap = await this.repo.statOf(view.ownerId, full, wanted);
    if (!snap) throw new FsError('path_not_found', 'The path does not exist');
    const { node, children } = snap;
    const found = new Map(snap.ancestors.map((n) => [n.path, n]));
    const path = [...wanted.flatMap((a) => found.get(a) ?? []), node];
    children.sort((a, b) =>
      a.type !== b.type
        ? a.type === 'dir'
          ? -1
          : 1
        : a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0,
    );
    return { view, node, path, children };
  }

  /** The caller's buckets: the root of their own tree, then the nodes they share. */
  async buckets(caller: FsCaller): Promise<Located[]> {
    const me = await this.view(caller, 'me');
    requireAccess(caller.principal!, 'read_own');
    const shared = await this.repo.sharedBy(me.ownerId);
    return [
      { view: me, node: me.root },
      ...shared.map((node) => ({
        view: { ...me, bucket: node.shareId!, base: node.path, root: node },
        node,
      })),
    ];
  }

  /** Write a file at a path from a body (overwrites a file; parents made when asked). */
  async put(caller: FsCaller, p: FsPath, body: Readable, opts: PutOptions): Promise<Located> {
    const view = await this.writable(caller, p);
    if (p.parts.length === 0) throw new FsError('node_is_a_directory', 'The bucket is a directory');
    const path = this.full(view, p);
    checkLimits(path);
    const node = await writeFile(
      { repo: this.repo, files: this.files, now: this.now(), newId: nodeId },
      { view, principal: caller.principal, path, body, opts },
    );
    return { view, node };
  }

  /** The bucket of a write, checked before any byte of a body is read. */
  async writable(caller: FsCaller, p: FsPath): Promise<BucketView> {
    const view = await this.view(caller, p.bucket);
    need(view, 'write');
    if (view.isOwner && caller.principal) requireAccess(caller.principal, 'upload');
    return view;
  }

  /** `mkdir` (the parent must exist) or `mkdirall` (parents made); an existing node is refused. */
  async mkdir(
    caller: FsCaller,
    p: FsPath,
    opts: { all: boolean; mode?: number },
  ): Promise<Located> {
    const view = await this.writable(caller, p);
    if (p.parts.length === 0) throw new FsError('node_already_exists', 'The bucket exists');
    const target = this.full(view, p);
    const paths = opts.all
      ? ancestorsOf(target)
          .filter((a) => a.length > view.base.length && isWithin(a, view.base))
          .concat(target)
      : [target];
    const node = await this.repo.mkdirs(view.ownerId, paths, {
      now: this.now(),
      mode: opts.mode ?? 0o755,
      exclusiveLast: true,
      newId: nodeId,
    });
    return { view, node };
  }

  /** Move a node to `target` (a path with its bucket, which must be the same tree). */
  async rename(
    caller: FsCaller,
    p: FsPath,
    target: FsPath,
    opts: { makeParents: boolean },
  ): Promise<Located> {
    const view = await this.writable(caller, p);
    if (view.isOwner && caller.principal) requireAccess(caller.principal, 'edit_own');
    const to = target.bucket === p.bucket ? view : await this.writable(caller, target);
    if (to.ownerId !== view.ownerId) {
      throw new FsError('permission_denied', 'Nodes can only be moved within one filesystem');
    }
    if (p.parts.length === 0 || target.parts.length === 0) {
      throw new FsError('cannot_modify_root_dir', 'The root of a bucket cannot be moved');
    }
    const node = await this.repo.move(view.ownerId, this.full(view, p), this.full(to, target), {
      makeParents: opts.makeParents,
      now: this.now(),
      newId: nodeId,
    });
    return { view: to, node };
  }

  /** Change times, mode, sharing, permissions or properties of a node. */
  async update(caller: FsCaller, p: FsPath, fields: UpdateFields): Promise<Located> {
    const { view, node } = await this.locate(caller, p);
    const ownerOnly =
      fields.shared !== undefined ||
      fields.linkPermissions !== undefined ||
      fields.userPermissions !== undefined ||
      fields.passwordPermissions !== undefined ||
      fields.properties !== undefined;
    need(view, ownerOnly ? 'owner' : 'write');
    if (caller.principal && view.isOwner) requireAccess(caller.principal, 'edit_own');
    if (fields.userPermissions) {
      for (const name of Object.keys(fields.userPermissions)) {
        await this.accounts.userByName(name).catch(() => {
          throw new FsError('user_not_found', `There is no user named "${name}"`);
        });
      }
    }
    let properties: Record<string, string> | undefined;
    if (fields.properties) {
      properties = { ...(node.properties ?? {}) };
      for (const [k, v] of Object.entries(fields.properties)) {
        if (v === null || v === '') delete properties[k];
        else properties[k] = v;
      }
    }
    const base = {
      ...(fields.createdAt !== undefined ? { createdAt: fields.createdAt } : {}),
      ...(fields.modifiedAt !== undefined ? { modifiedAt: fields.modifiedAt } : {}),
      ...(fields.mode !== undefined ? { mode: fields.mode } : {}),
      ...(fields.linkPermissions !== undefined ? { linkPermissions: fields.linkPermissions } : {}),
      ...(fields.userPermissions !== undefined ? { userPermissions: fields.userPermissions } : {}),
      ...(fields.passwordPermissions !== undefined
        ? { passwordPermissions: fields.passwordPermissions }
        : {}),
      ...(properties ? { properties } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      const shareId =
        fields.shared === undefined ? undefined : fields.shared ? (node.shareId ?? newId(8)) : null;
      try {
        const updated = await this.repo.update(
          view.ownerId,
          node.path,
          { ...base, ...(shareId !== undefined ? { shareId } : {}) },
          this.now(),
        );
        return { view, node: updated };
      } catch (err) {
        // Another node took the same new share id: rare enough that a few tries settle it.
        if (attempt < 3 && shareId && !node.shareId && !(err instanceof FsError)) continue;
        throw err;
      }
    }
  }

  /** Delete a node; a non-empty directory only with `recursive`. */
  async delete(caller: FsCaller, p: FsPath, opts: { recursive: boolean }): Promise<void> {
    const view = await this.view(caller, p.bucket);
    need(view, 'delete');
    if (caller.principal && view.isOwner) requireAccess(caller.principal, 'edit_own');
    if (p.parts.length === 0) {
      throw new FsError('cannot_modify_root_dir', 'The root of a bucket cannot be deleted');
    }
    const released = await this.repo.delete(view.ownerId, this.full(view, p), {
      recursive: opts.recursive,
      now: this.now(),
    });
    await this.release(released);
  }

  /** Add existing files (by id, from `/api/file` uploads) to a directory: no bytes copied. */
  async import(caller: FsCaller, p: FsPath, ids: readonly string[]): Promise<void> {
    const view = await this.writable(caller, p);
    let files: FileRecord[];
    try {
      files = await this.files.getAll(ids, 1000);
    } catch (err) {
      if (err instanceof CoreError && err.code === 'not_found') {
        throw new FsError('list_file_not_found', err.message, err.extra);
      }
      throw err;
    }
    for (const f of files) {
      // A blocked file stays blocked: its bytes are not copied under another name.
      if (f.abuseType) throw new FsError('list_file_not_found', `File ${f.id} is not available`);
    }
    if (caller.principal) {
      await this.files.admitBytes(
        caller.principal,
        files.reduce((n, f) => n + f.size, 0),
      );
    }
    await this.repo.importFiles(view.ownerId, this.full(view, p), files, {
      now: this.now(),
      newId: nodeId,
    });
  }

  /** Paths below a directory whose names contain `term`. */
  async search(caller: FsCaller, p: FsPath, term: string, limit: number): Promise<string[]> {
    const { view, node } = await this.get(caller, p);
    if (node.type !== 'dir') throw new FsError('search_not_a_directory');
    if ([...term].length < 2) throw new FsError('search_term_too_short');
    if ([...term].length > 100) throw new FsError('search_term_too_long');
    const found = await this.repo.search(view.ownerId, node.path, term, limit);
    return found.map((n) => displayPath(view, n.path));
  }

  /**
   * Changes below a directory between two times (at most 30 days apart), with paths relative to
   * that directory (`/sub/a.txt`), as rclone's ChangeNotify reads them; a path outside it is ''.
   */
  async changeLog(caller: FsCaller, p: FsPath, start: number, end: number): Promise<FsChange[]> {
    const { view, node } = await this.get(caller, p);
    if (end - start > CHANGE_LOG_SPAN) throw new FsError('log_timespan_too_long');
    const changes = await this.repo.changes(view.ownerId, start, end, 10_000);
    const rel = (path: string) => (isWithin(path, node.path) ? path.slice(node.path.length) : '');
    return changes
      .filter((c) => isWithin(c.path, node.path) || (c.pathNew && isWithin(c.pathNew, node.path)))
      .map((c) => ({ ...c, path: rel(c.path), pathNew: c.pathNew ? rel(c.pathNew) : '' }));
  }

  /** The files below a directory (a zip of it), with paths relative to it. */
  async filesForZip(
    caller: FsCaller,
    p: FsPath,
  ): Promise<{
    located: Located;
    files: { name: string; file: FileRecord; node: FsNodeRecord }[];
  }> {
    const located = await this.get(caller, p);
    const { view, node } = located;
    if (node.type !== 'dir') throw new FsError('node_is_not_a_directory');
    const nodes = await this.repo.filesUnder(view.ownerId, node.path, MAX_ZIP_NODES + 1);
    if (nodes.length > MAX_ZIP_NODES) {
      throw new CoreError('too_many_files', 'A zip holds at most 10,000 files');
    }
    return {
      located,
      files: nodes.map((n) => ({
        name: n.path.slice(node.path.length + 1),
        file: asFile(n),
        node: n,
      })),
    };
  }

  /** Delete an account's whole tree (account deletion), releasing its blobs. */
  async deleteTreeOf(userId: string): Promise<void> {
    const released = await this.repo.delete(userId, '', {
      recursive: true,
      now: this.now(),
      wholeTree: true,
    });
    await this.release(released);
  }

  /**
   * Remove the bytes of blobs no row references any more. A recursive delete can free thousands:
   * a few at a time overlap the storage round trips (a local unlink waits for a thread of the
   * pool, an S3 DELETE for the network). The rows are gone, so the delete has happened: past a
   * few hundred blobs the request answers at once and the bytes go in the background (retried by
   * DeferredDeletes; `close` waits for them; what a stop leaves is unreferenced, found by gc).
   */
  private async release(released: readonly ReleasedBlob[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < released.length) {
        const b = released[next++]!;
        await this.files.releaseBlob(b.key, b.location).catch(() => {});
      }
    };
    const all = Promise.all(
      Array.from({ length: Math.min(RELEASE_CONCURRENCY, released.length) }, worker),
    ).then(() => {});
    if (released.length <= RELEASE_INLINE_MAX) return all;
    this.releasing.add(all);
    void all.finally(() => this.releasing.delete(all));
  }

  /** Wait for the removals of freed bytes still under way, write counted downloads (a stop). */
  async close(): Promise<void> {
    await Promise.all([...this.releasing]);
    await this.traffic.close();
  }

  /** Bytes of a file node sent (`starts`: a download begins with them). */
  counted(nodeId: string, bytes: number, starts: boolean): void {
    if (bytes > 0) this.traffic.count(nodeId, { downloads: starts ? 1 : 0, bytes });
  }

  /** Downloads and bytes sent of a file, or of every file in a directory (`?download_stats`). */
  async downloadStats(caller: FsCaller, p: FsPath): Promise<NodeTraffic> {
    const { view, node } = await this.get(caller, p);
    const stored = await this.repo.trafficOf(view.ownerId, node.path);
    const pending = this.traffic.pendingOf(stored.ids);
    return { downloads: stored.downloads + pending.downloads, bytes: stored.bytes + pending.bytes };
  }

  /**
   * Administration (`stowage gc --fix`): delete one node of any tree, releasing its blob; a
   * directory with what it holds.
   */
  async removeNode(ownerId: string, path: string): Promise<void> {
    const released = await this.repo.delete(ownerId, path, { recursive: true, now: this.now() });
    await this.release(released);
  }

  /** How many file nodes an account's tree holds and their total size. */
  usageOf(userId: string): Promise<{ count: number; bytes: number }> {
    return this.repo.usageOf(userId);
  }

  /** Drop change-log entries older than the span the API serves. */
  pruneChanges(): Promise<number> {
    return this.repo.pruneChanges(this.now() - CHANGE_LOG_SPAN);
  }

  /** The owner's username (a node's `created_by`). */
  async ownerName(view: BucketView, caller: FsCaller): Promise<string> {
    if (caller.principal?.userId === view.ownerId) return caller.principal.username;
    return (await this.accounts.userById(view.ownerId)).username;
  }
}
