import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  asFile,
  FsError,
  parseRawPath,
  type FsCaller,
  type FsNodeRecord,
  type FsPath,
} from '../../../core/filesystem/index.js';
import type { Core } from '../../../core/index.js';
import { logFailure } from '../../common/logging.js';
import { sendFile } from '../../common/send-file.js';
import { sendZip } from '../../common/zip.js';
import { admitDownload, admitZip, RULE_ERRORS, startsDownload } from '../download-rules.js';
import { sendPdError, writePdError, type PdError } from '../errors.js';
import { sendJson } from '../respond.js';
import { callerOf, flag, rawFsPath } from './caller.js';
import { toFsPdError } from './errors.js';
import { statJson } from './node-json.js';

type Query = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[v.length - 1] : v;

/** The stat a request's path names, as the API answers it (also the /d/ page's initial node). */
export async function statFor(
  core: Core,
  caller: FsCaller,
  p: FsPath,
): Promise<Record<string, unknown>> {
  const stat = await core.filesystem.stat(caller, p);
  return statJson(stat, await core.filesystem.ownerName(stat.view, caller));
}

/** A time given as RFC 3339 or epoch milliseconds. */
export function parseTime(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new FsError('invalid_value', `${field} is not a valid time`);
  return ms;
}

/** GET|HEAD /api/filesystem/{bucket}/{path}: bytes of a file, a stat, or one of the sub-APIs. */
export async function handleGet(core: Core, req: FastifyRequest, reply: FastifyReply) {
  const q = req.query as Query;
  try {
    const p = parseRawPath(rawFsPath(req.url));
    const caller = await callerOf(core, req, p.bucket);
    if ('search' in q) {
      const limit = Number(one(q.limit) ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new FsError('invalid_value', 'limit must be from 1 to 1000');
      }
      return sendJson(reply, await core.filesystem.search(caller, p, one(q.search) ?? '', limit));
    }
    if ('change_log' in q) {
      const now = Date.now();
      const end = parseTime(one(q.end), 'end') ?? now;
      const start = parseTime(one(q.start), 'start') ?? end - 24 * 3600 * 1000;
      const changes = await core.filesystem.changeLog(caller, p, start, end);
      return sendJson(
        reply,
        changes.map((c) => ({
          time: new Date(c.at).toISOString(),
          path: c.path,
          path_new: c.pathNew,
          action: c.action,
          type: c.type,
        })),
      );
    }
    if ('download_stats' in q) {
      const stats = await core.filesystem.downloadStats(caller, p);
      return sendJson(reply, {
        downloads: stats.downloads,
        transfer_free: stats.bytes,
        transfer_paid: 0,
      });
    }
    if (flag(q, 'bulk_download')) return await sendDirZip(core, req, reply, caller, p);
    if ('thumbnail' in q) return await sendThumbnail(core, reply, caller, p, q);
    const { node } = await core.filesystem.get(caller, p);
    if (node.type === 'dir' || flag(q, 'stat')) {
      return sendJson(reply, await statFor(core, caller, p));
    }
    const refused = await blocked(core, caller, node);
    if (refused) return sendPdError(reply, refused);
    const file = asFile(node);
    // The download rules of /api/file: per-IP limits (captcha or slowed), the malware captcha
    // (the owner is exempt). The hotlink rule needs view counts, which nodes do not keep.
    const admitted = await admitDownload(core, req, file);
    if (!admitted.ok) return sendPdError(reply, admitted.error);
    const { exempt, speedLimit } = admitted.admission;
    const starts = startsDownload(req);
    reply.hijack();
    try {
      await sendFile(req.raw, reply.raw, file, {
        disposition: flag(q, 'attach') || flag(q, 'download') ? 'attachment' : 'inline',
        readBytes: (range) => core.files.readBytes(file, range),
        openStream: (range) => core.files.openStream(file, range),
        openReader: () => core.files.openReader(file),
        onSent: (bytes) => {
          core.rules.transferred(req.ip, bytes, exempt);
          core.filesystem.counted(node.id, bytes, starts);
        },
        ...(speedLimit > 0 ? { bytesPerSecond: speedLimit } : {}),
      });
    } catch (err) {
      logFailure(req, reply, err, 'filesystem download failed');
      writePdError(reply.raw, toFsPdError(err));
    }
  } catch (err) {
    const e = toFsPdError(err);
    if (e.status >= 500) logFailure(req, reply, err, 'filesystem read failed');
    return sendPdError(reply, e);
  }
}

/** Content an admin blocked by its hash is served to admins only (its owner included). */
async function blocked(core: Core, caller: FsCaller, node: FsNodeRecord): Promise<PdError | null> {
  if (!node.blobKey || caller.principal?.isAdmin) return null;
  if (!(await core.blocks.isBlocked(node.blobKey))) return null;
  return {
    status: 451,
    value: 'unavailable_for_legal_reasons',
    message: 'This content has been blocked on this server',
    extra: { type: 'other' },
  };
}

async function sendDirZip(
  core: Core,
  req: FastifyRequest,
  reply: FastifyReply,
  caller: FsCaller,
  p: FsPath,
) {
  const { located, files } = await core.filesystem.filesForZip(caller, p);
  for (const { node } of files) {
    const refused = await blocked(core, caller, node);
    if (refused) return sendPdError(reply, refused);
  }
  const admitted = await admitZip(
    core,
    req,
    files.map((f) => f.file),
  );
  if (!admitted.ok) return sendPdError(reply, admitted.error);
  const name = p.parts.length > 0 ? located.node.name : located.view.bucket;
  reply.hijack();
  try {
    await sendZip(
      req.raw,
      reply.raw,
      `${name}.zip`,
      files.map(({ name: entry, file }) => ({
        name: entry,
        size: file.size,
        mtime: new Date(file.createdAt),
        open: async () => {
          const stream = await core.files.openStream(file);
          const exempt = admitted.admissions.get(file.id)?.exempt ?? false;
          let sent = 0;
          stream.on('data', (c: Buffer) => {
            sent += c.length;
            core.rules.transferred(req.ip, c.length, exempt);
          });
          stream.on('end', () => core.filesystem.counted(file.id, sent, true));
          return stream;
        },
      })),
    );
  } catch (err) {
    logFailure(req, reply, err, 'filesystem zip failed');
    reply.raw.destroy();
  }
}

async function sendThumbnail(
  core: Core,
  reply: FastifyReply,
  caller: FsCaller,
  p: FsPath,
  q: Query,
) {
  const { w, h } = core.media.thumbnailSize(one(q.width), one(q.height));
  const { view, node } = await core.filesystem.get(caller, p);
  if (node.type === 'dir') throw new FsError('node_is_a_directory');
  const refused = await blocked(core, caller, node);
  if (refused) return sendPdError(reply, refused);
  // No picture of an infected file for anyone but its owner.
  if (node.scanStatus === 'infected' && !view.isOwner) {
    return sendPdError(reply, RULE_ERRORS.virus_detected_captcha_required);
  }
  const thumb = await core.media.thumbnail(asFile(node), w, h);
  return reply
    .header('ETag', thumb.etag)
    .header('Cache-Control', thumb.icon ? 'public, max-age=3600' : 'public, max-age=86400')
    .header('X-Content-Type-Options', 'nosniff')
    .type('image/png')
    .send(thumb.data);
}
