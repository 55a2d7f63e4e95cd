/**
 * A replay of rclone's pixeldrain backend over plain `fetch`: the HTTP calls of
 * `backend/pixeldrain/api_client.go` and the operations of `backend/pixeldrain/pixeldrain.go`
 * (rclone v1.75.0-121-g64ab1ac32, commit 64ab1ac32260, 2026-08-21; the backend last changed in
 * 72907a7a9 "pixeldrain: fix incorrect modtime and missing hash after uploading a file",
 * 2026-07-14), with `lib/rest` (URL = root + escaped path + `?` + sorted query, multipart form
 * bodies streamed through a pipe, i.e. chunked) and the error handler that maps `value`.
 * Every JSON answer is decoded as Go's encoding/json would decode it into rclone's structs: a
 * field of the wrong JSON type or a time that is not strict RFC 3339 fails the call, as in rclone.
 */
import {
  RcloneError,
  base,
  decodeChangeLog,
  decodeFsPath,
  decodeNode,
  decodeUserInfo,
  obj,
  paramsFromMetadata,
  str,
  API_ERRORS,
  type Call,
  type ChangeLogEntry,
  type FsPath,
  type Node,
  type UserInfo,
} from './api-types.js';
import { encodeValues, formatRFC3339Nano, goDir, goJoin, goMultipart } from './go.js';
import { pathEscape, truncateMs, type GoTime } from './go.js';

export { RcloneError, base, type Call, type Node };

export interface Options {
  apiURL: string;
  apiKey?: string;
  rootFolderID?: string;
  /** The zone of rclone's local clock (minutes east of UTC) for the times it formats itself. */
  localOffsetMin?: number;
}

/** An object of the remote: the node with its path stripped of the prefix, mtime truncated. */
export interface RObject {
  fs: PixeldrainFs;
  base: Node;
}

/** A directory entry of `List`: fs.Dir (remote, node's modified as is, ID) or an object. */
export type Entry =
  | { dir: true; remote: string; modified: GoTime | null; id: string }
  | { dir: false; object: RObject };

type Body = { bytes: Buffer; contentType?: string };

export class PixeldrainFs {
  readonly calls: Call[] = [];
  pathPrefix = '';

  private constructor(
    readonly opt: Required<Omit<Options, 'apiKey'>> & { apiKey: string },
    public root: string,
  ) {
    this.pathPrefix = '/' + goJoin(opt.rootFolderID, root) + '/';
  }

  /** NewFs: `GET /user` when a key is set, then `?stat` of the root (ErrorIsFile for a file). */
  static async newFs(
    options: Options,
    root: string,
  ): Promise<{ f: PixeldrainFs; isFile: boolean }> {
    const opt = { rootFolderID: 'me', apiKey: '', localOffsetMin: 0, ...options };
    const f = new PixeldrainFs(opt, root);
    if (opt.apiKey) await f.userInfo();
    else if (opt.rootFolderID === 'me') throw new RcloneError('authentication required');
    try {
      const fsp = await f.stat('');
      if (base(fsp).type === 'file') {
        f.root = goDir(f.root);
        f.pathPrefix = '/' + goJoin(opt.rootFolderID, f.root) + '/';
        return { f, isFile: true };
      }
    } catch (err) {
      if (!(err instanceof RcloneError && err.kind === 'errNotFound')) throw err;
    }
    return { f, isFile: false };
  }

  /** `escapePath`: prefix + path split on `/`, each part `url.PathEscape`d. */
  escapePath(p: string): string {
    return (this.pathPrefix + p).split('/').map(pathEscape).join('/');
  }

  now(): GoTime {
    const ms = BigInt(Date.now());
    return {
      ns: ms * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000),
      offsetMin: this.opt.localOffsetMin,
    };
  }

  /** rest.Client.Call + CallJSON: 2xx or the error handler; decode unless NoResponse. */
  private async call(
    method: string,
    relPath: string,
    query: Record<string, string> | null,
    body: Body | null,
    extra: { rootURL?: string; headers?: Record<string, string>; noResponse?: boolean } = {},
  ): Promise<{ call: Call; raw: Buffer }> {
    let url = (extra.rootURL ?? this.opt.apiURL + '/filesystem') + relPath;
    if (query && Object.keys(query).length > 0) url += '?' + encodeValues(query);
    const headers: Record<string, string> = { 'user-agent': 'rclone/v1.75.0', ...extra.headers };
    if (this.opt.apiKey)
      headers.authorization = 'Basic ' + Buffer.from(':' + this.opt.apiKey).toString('base64');
    if (body?.contentType) headers['content-type'] = body.contentType;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body) {
      if (body.bytes.length === 0) init.body = new Uint8Array(0);
      else {
        // An io.Reader of unknown length: Go sends it chunked.
        const bytes = new Uint8Array(body.bytes);
        init.body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(bytes);
            c.close();
          },
        });
        init.duplex = 'half';
      }
    }
    const res = await fetch(url, init);
    const raw = Buffer.from(await res.arrayBuffer());
    const call: Call = {
      method,
      url: url.slice(url.indexOf('/api/')),
      status: res.status,
      json: undefined,
    };
    try {
      call.json = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      call.json = undefined;
    }
    this.calls.push(call);
    if (res.status < 200 || res.status > 299) {
      if (call.json === undefined) throw new RcloneError('failed to parse error json', call);
      const value = str(obj(call.json, 'APIError').value, 'value');
      throw new RcloneError(API_ERRORS[value] ?? `APIError:${value}`, call);
    }
    if (!extra.noResponse && call.json === undefined && raw.length === 0)
      throw new RcloneError('EOF decoding the answer', call);
    return { call, raw };
  }

  private async callJSON<T>(
    decode: (v: unknown) => T,
    ...args: Parameters<PixeldrainFs['call']>
  ): Promise<{ value: T; call: Call }> {
    const { call } = await this.call(...args);
    try {
      return { value: decode(call.json), call };
    } catch (err) {
      throw new RcloneError(`decode: ${(err as Error).message}`, call);
    }
  }

  // ---- api_client.go ----

  async userInfo(): Promise<{ value: UserInfo; call: Call }> {
    return this.callJSON(decodeUserInfo, 'GET', '', null, null, {
      rootURL: this.opt.apiURL + '/user',
    });
  }

  async stat(p: string): Promise<FsPath> {
    return (await this.callJSON(decodeFsPath, 'GET', this.escapePath(p), { stat: '' }, null)).value;
  }

  /** `put`: metadata params + `make_parents=true`, the raw body. */
  async putRaw(p: string, data: Buffer, meta: Record<string, string>): Promise<Node> {
    const params = { ...paramsFromMetadata(meta), make_parents: 'true' };
    return (await this.callJSON(decodeNode, 'PUT', this.escapePath(p), params, { bytes: data }))
      .value;
  }

  async read(p: string, range?: [number, number]): Promise<{ status: number; bytes: Buffer }> {
    const headers: Record<string, string> = range ? { range: `bytes=${range[0]}-${range[1]}` } : {};
    const { call, raw } = await this.call('GET', this.escapePath(p), null, null, {
      headers,
      noResponse: true,
    });
    return { status: call.status, bytes: raw };
  }

  async changeLog(start: GoTime, end: GoTime): Promise<ChangeLogEntry[]> {
    const q = { change_log: '', start: formatRFC3339Nano(start), end: formatRFC3339Nano(end) };
    return (await this.callJSON(decodeChangeLog, 'GET', this.escapePath(''), q, null)).value;
  }

  /** `update`: POST multipart, `action=update` + metadata params; answers a node. */
  async update(p: string, fields: Record<string, string>): Promise<Node> {
    const form = goMultipart([...Object.entries(paramsFromMetadata(fields)), ['action', 'update']]);
    return (
      await this.callJSON(decodeNode, 'POST', this.escapePath(p), null, {
        bytes: form.body,
        contentType: form.contentType,
      })
    ).value;
  }

  /** `mkdir`: POST multipart `action=mkdirall`, NoResponse (only the status counts). */
  async mkdirRaw(dir: string): Promise<Call> {
    const form = goMultipart([['action', 'mkdirall']]);
    return (
      await this.call(
        'POST',
        this.escapePath(dir),
        null,
        { bytes: form.body, contentType: form.contentType },
        { noResponse: true },
      )
    ).call;
  }

  /** `rename`: on the source Fs's path; `target` = our prefix + to, `make_parents=true`. */
  async renameRaw(src: PixeldrainFs, from: string, to: string): Promise<Node> {
    if (src.opt.rootFolderID !== this.opt.rootFolderID)
      throw new RcloneError('errIncompatibleSourceFS');
    // Go's map order is random: the action goes last here, the server must not care.
    const form = goMultipart([
      ['target', this.pathPrefix + to],
      ['make_parents', 'true'],
      ['action', 'rename'],
    ]);
    return (
      await this.callJSON(decodeNode, 'POST', src.escapePath(from), null, {
        bytes: form.body,
        contentType: form.contentType,
      })
    ).value;
  }

  async deleteRaw(p: string, recursive: boolean): Promise<Call> {
    return (
      await this.call(
        'DELETE',
        this.escapePath(p),
        recursive ? { recursive: 'true' } : null,
        null,
        { noResponse: true },
      )
    ).call;
  }

  // ---- pixeldrain.go ----

  nodeToObject(node: Node): RObject {
    return {
      fs: this,
      base: {
        ...node,
        path: trimPrefix(node.path, this.pathPrefix),
        modified: node.modified && truncateMs(node.modified),
      },
    };
  }

  async list(dir: string): Promise<Entry[]> {
    const fsp = await this.stat(dir).catch((err: unknown) => {
      throw err instanceof RcloneError && err.kind === 'errNotFound'
        ? new RcloneError('ErrorDirNotFound', err.call)
        : err;
    });
    if (base(fsp).type === 'file') throw new RcloneError('ErrorIsFile');
    return fsp.children.map((n) =>
      n.type === 'dir'
        ? { dir: true, remote: trimPrefix(n.path, this.pathPrefix), modified: n.modified, id: n.id }
        : { dir: false, object: this.nodeToObject(n) },
    );
  }

  async newObject(remote: string): Promise<RObject> {
    const fsp = await this.stat(remote).catch((err: unknown) => {
      throw err instanceof RcloneError && err.kind === 'errNotFound'
        ? new RcloneError('ErrorObjectNotFound', err.call)
        : err;
    });
    if (base(fsp).type === 'dir') throw new RcloneError('ErrorIsDir');
    return this.nodeToObject(base(fsp));
  }

  /** Put: mtime defaults to src.ModTime formatted RFC3339Nano in rclone's local zone. */
  async put(
    remote: string,
    data: Buffer,
    modTime: GoTime,
    meta: Record<string, string> = {},
  ): Promise<RObject> {
    const m = { ...meta };
    if (m.mtime === undefined) m.mtime = formatRFC3339Nano(modTime);
    return this.nodeToObject(await this.putRaw(remote, data, m));
  }

  /** Object.Update: Put with the object itself as source, i.e. its mtime truncated to ms. */
  async updateObject(o: RObject, data: Buffer, modTime: GoTime): Promise<void> {
    const newObject = await this.put(o.base.path, data, truncateMs(modTime));
    o.base = newObject.base;
  }

  async mkdir(dir: string): Promise<void> {
    try {
      await this.mkdirRaw(dir);
    } catch (err) {
      if (err instanceof RcloneError && err.kind === 'errExists') return;
      if (err instanceof RcloneError && err.kind === 'errNotFound')
        throw new RcloneError('ErrorDirNotFound', err.call);
      throw err;
    }
  }

  async rmdir(dir: string, recursive = false): Promise<void> {
    try {
      await this.deleteRaw(dir, recursive);
    } catch (err) {
      if (err instanceof RcloneError && err.kind === 'errNotFound')
        throw new RcloneError('ErrorDirNotFound', err.call);
      throw err;
    }
  }

  purge(dir: string): Promise<void> {
    return this.rmdir(dir, true);
  }

  async remove(o: RObject): Promise<void> {
    await this.deleteRaw(o.base.path, false);
  }

  /** Move (server-side): rename of the object's path in its own Fs. */
  async move(src: RObject, remote: string): Promise<RObject> {
    try {
      return this.nodeToObject(await this.renameRaw(src.fs, src.base.path, remote));
    } catch (err) {
      if (err instanceof RcloneError && err.kind === 'errNotFound')
        throw new RcloneError('ErrorObjectNotFound', err.call);
      throw err;
    }
  }

  async dirMove(src: PixeldrainFs, srcRemote: string, dstRemote: string): Promise<void> {
    try {
      await this.renameRaw(src, srcRemote, dstRemote);
    } catch (err) {
      if (err instanceof RcloneError && err.kind === 'errNotFound')
        throw new RcloneError('ErrorDirNotFound', err.call);
      if (err instanceof RcloneError && err.kind === 'errExists')
        throw new RcloneError('ErrorDirExists', err.call);
      throw err;
    }
  }

  async dirSetModTime(dir: string, modTime: GoTime): Promise<Node> {
    return this.update(dir, { mtime: formatRFC3339Nano(modTime) });
  }

  async setModTime(o: RObject, modTime: GoTime): Promise<void> {
    await this.update(o.base.path, { mtime: formatRFC3339Nano(modTime) });
    o.base.modified = truncateMs(modTime);
  }

  /** PublicLink: update `shared`; the link is api_url with `/api` replaced by `/d/` + the id. */
  async publicLink(remote: string, unlink: boolean): Promise<string> {
    const n = await this.update(remote, { shared: String(!unlink) });
    return n.id ? this.opt.apiURL.replace('/api', '/d/') + n.id : '';
  }

  /** ChangeNotify's set-up: logging is switched on unless the prefix is `/me/`. */
  async changeNotifySetup(): Promise<Node | null> {
    if (this.pathPrefix === '/me/') return null;
    return this.update('', { logging_enabled: 'true' });
  }

  /** One tick of ChangeNotify: the paths it notifies, with their entry type. */
  async changeNotifyPoll(
    lastPoll: GoTime,
    t: GoTime,
  ): Promise<{ path: string; type: 'dir' | 'file' }[]> {
    const out: { path: string; type: 'dir' | 'file' }[] = [];
    for (const e of await this.changeLog(lastPoll, t)) {
      if (e.type === 'dir' || e.type === 'file')
        out.push({ path: trimPrefix(e.path, '/'), type: e.type });
    }
    return out;
  }

  /** About: Used = storage_space_used; Total only when storage_space > -1. */
  async about(): Promise<{ used: number; total?: number }> {
    const { value: u } = await this.userInfo();
    return u.subscription.storageSpace > -1
      ? { used: u.storageSpaceUsed, total: u.subscription.storageSpace }
      : { used: u.storageSpaceUsed };
  }
}

function trimPrefix(s: string, prefix: string): string {
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}
