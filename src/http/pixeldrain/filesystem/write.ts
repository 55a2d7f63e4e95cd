import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../../core/errors.js';
import {
  FsError,
  parseDecodedPath,
  parseRawPath,
  type FsCaller,
  type Located,
  type Permissions,
  type UpdateFields,
} from '../../../core/filesystem/index.js';
import type { Core } from '../../../core/index.js';
import { acceptBody, closeAfterResponse } from '../../common/early-reject.js';
import { readForm } from '../../common/form.js';
import { logFailure } from '../../common/logging.js';
import { sendPdError } from '../errors.js';
import { CREATED, FORM_MAX_BYTES, OK, sendJson } from '../respond.js';
import { declaredLength } from '../upload.js';
import { callerOf, flag, rawFsPath } from './caller.js';
import { toFsPdError } from './errors.js';
import { nodeJson } from './node-json.js';
import { parseTime } from './read.js';
import { logUpload } from '../../common/events.js';

type Query = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[v.length - 1] : v;

/**
 * Permission bits in octal: "644", "0755", or a whole st_mode as rclone sends it ("100644": the
 * file type bits are dropped, the node's type is its own).
 */
function parseMode(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^[0-7]{1,7}$/.test(v)) throw new FsError('invalid_value', 'mode must be octal (644)');
  return parseInt(v, 8) & 0o7777;
}

function parseBool(v: string | undefined, field: string): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new FsError('invalid_value', `${field} must be true or false`);
}

async function answerNode(core: Core, reply: FastifyReply, caller: FsCaller, at: Located) {
  const by = await core.filesystem.ownerName(at.view, caller);
  return sendJson(reply, nodeJson(at.view, at.node, by));
}

function fail(req: FastifyRequest, reply: FastifyReply, err: unknown) {
  const e = toFsPdError(err);
  if (e.status >= 500) logFailure(req, reply, err, 'filesystem write failed');
  return sendPdError(reply, e);
}

/**
 * PUT /api/filesystem/{bucket}/{path}: the raw body is the file (overwrites one). Everything that
 * needs no body (path, rights, declared size, quotas) is checked before a byte is read.
 */
export async function handlePut(core: Core, req: FastifyRequest, reply: FastifyReply) {
  const q = req.query as Query;
  try {
    if (/^\s*multipart\//i.test(req.headers['content-type'] ?? '')) {
      throw new FsError(
        'invalid_value',
        'Multipart form data is not supported here, send the file as the raw request body',
      );
    }
    const p = parseRawPath(rawFsPath(req.url));
    const caller = await callerOf(core, req, p.bucket);
    const modified = parseTime(one(q.modified), 'modified');
    const created = parseTime(one(q.created), 'created');
    const mode = parseMode(one(q.mode));
    const shared = parseBool(one(q.shared), 'shared');
    let at = await core.filesystem.put(caller, p, req.raw, {
      makeParents: flag(q, 'make_parents'),
      ...(modified !== undefined ? { modified } : {}),
      ...(created !== undefined ? { created } : {}),
      ...(mode !== undefined ? { mode } : {}),
      declaredSize: declaredLength(req),
      uploaderIp: req.ip,
      // Only once the declared size and the quotas are checked: "100 Continue", then the body.
      beforeBody: () => acceptBody(req.raw, reply.raw),
    });
    if (shared !== undefined && at.view.isOwner) {
      at = await core.filesystem.update(caller, p, { shared });
    }
    core.telemetry.event('upload', { dialect: 'pixeldrain' });
    logUpload(req.log, 'pixeldrain', at.node);
    return await answerNode(core, reply, caller, at);
  } catch (err) {
    closeAfterResponse(req.raw, reply.raw);
    return fail(req, reply, err);
  }
}

function parseJsonField<T>(v: string | undefined, field: string): T | null | undefined {
  if (v === undefined) return undefined;
  if (v === '' || v === 'null') return null;
  try {
    const parsed: unknown = JSON.parse(v);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
    return parsed as T;
  } catch {
    throw new FsError('json_parse_failed', `${field} is not a JSON object`);
  }
}

const PERMISSION_KEYS = ['owner', 'read', 'write', 'delete'] as const;

function permissionsOf(v: unknown, field: string): Partial<Permissions> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FsError('json_parse_failed', `${field} must hold permission objects`);
  }
  const out: Partial<Permissions> = {};
  for (const k of PERMISSION_KEYS) {
    const b = (v as Record<string, unknown>)[k];
    if (b !== undefined) out[k] = b === true;
  }
  return out;
}

/** The fields of `action=update` (the branding properties are kept as given, empty removes). */
function updateFields(f: Record<string, string>): UpdateFields {
  const out: UpdateFields = {};
  const created = parseTime(f.created, 'created');
  const modified = parseTime(f.modified, 'modified');
  const mode = parseMode(f.mode);
  const shared = parseBool(f.shared, 'shared');
  if (created !== undefined) out.createdAt = created;
  if (modified !== undefined) out.modifiedAt = modified;
  if (mode !== undefined) out.mode = mode;
  if (shared !== undefined) out.shared = shared;
  const link = parseJsonField<Record<string, unknown>>(f.link_permissions, 'link_permissions');
  if (link !== undefined) out.linkPermissions = link && permissionsOf(link, 'link_permissions');
  for (const [field, key] of [
    ['user_permissions', 'userPermissions'],
    ['password_permissions', 'passwordPermissions'],
  ] as const) {
    const v = parseJsonField<Record<string, unknown>>(f[field], field);
    if (v === undefined) continue;
    out[key] = v
      ? Object.fromEntries(Object.entries(v).map(([k, p]) => [k, permissionsOf(p, field)]))
      : null;
  }
  const props: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(f)) {
    if (/^(branding_enabled|brand_[a-z_]+)$/.test(k) && v.length <= 1024) props[k] = v;
  }
  if (Object.keys(props).length > 0) out.properties = props;
  return out;
}

/** POST /api/filesystem/{bucket}/{path} with form `action`. */
export async function handlePost(core: Core, req: FastifyRequest, reply: FastifyReply) {
  try {
    const p = parseRawPath(rawFsPath(req.url));
    const caller = await callerOf(core, req, p.bucket);
    const { fields: f } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
    switch (f.action) {
      case 'mkdir':
      case 'mkdirall': {
        const mode = parseMode(f.mode);
        await core.filesystem.mkdir(caller, p, {
          all: f.action === 'mkdirall',
          ...(mode !== undefined ? { mode } : {}),
        });
        return sendJson(reply, CREATED, 201);
      }
      case 'rename': {
        if (!f.target) throw new FsError('path_not_found', 'target is missing');
        const at = await core.filesystem.rename(caller, p, parseDecodedPath(f.target), {
          makeParents: parseBool(f.make_parents, 'make_parents') ?? false,
        });
        return await answerNode(core, reply, caller, at);
      }
      case 'update': {
        const at = await core.filesystem.update(caller, p, updateFields(f));
        return await answerNode(core, reply, caller, at);
      }
      case 'import': {
        const ids = parseJsonArray(f.files);
        await core.filesystem.import(caller, p, ids);
        return sendJson(reply, CREATED, 201);
      }
      default:
        throw new FsError(
          'invalid_action',
          'action must be mkdir, mkdirall, rename, update or import',
        );
    }
  } catch (err) {
    return fail(req, reply, err);
  }
}

function parseJsonArray(v: string | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(v ?? '');
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') && parsed.length > 0) {
      return parsed;
    }
  } catch {
    // Answered below.
  }
  throw new FsError('json_parse_failed', 'files must be a JSON array of file ids');
}

/** DELETE /api/filesystem/{bucket}/{path}[?recursive=true]. */
export async function handleDelete(core: Core, req: FastifyRequest, reply: FastifyReply) {
  try {
    const p = parseRawPath(rawFsPath(req.url));
    const caller = await callerOf(core, req, p.bucket);
    await core.filesystem.delete(caller, p, {
      recursive: flag(req.query as Query, 'recursive'),
    });
    return sendJson(reply, OK);
  } catch (err) {
    return fail(req, reply, err);
  }
}

/** GET /api/filesystem: the caller's buckets (their tree's root, then what they share). */
export async function handleBuckets(core: Core, req: FastifyRequest, reply: FastifyReply) {
  try {
    const caller = await callerOf(core, req, 'me');
    if (!caller.principal) throw new CoreError('authentication_required');
    const buckets = await core.filesystem.buckets(caller);
    return sendJson(
      reply,
      buckets.map((b) => nodeJson(b.view, b.node, caller.principal!.username)),
    );
  } catch (err) {
    return fail(req, reply, err);
  }
}
