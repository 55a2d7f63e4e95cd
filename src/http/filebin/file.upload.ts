import { PassThrough, type Readable } from 'node:stream';
import { CoreError } from '../../core/errors.js';
import type { StagedUpload } from '../../core/files.js';
import { baseName } from '../../core/names.js';
import { closeAfterResponse } from '../common/early-reject.js';
import { BodyError } from '../common/form.js';
import { requireAccess } from './auth.js';
import { FbError } from './errors.js';
import { baseField, PhpForm, readMultipart, readPhpForm } from './form.js';
import { idLengthOf } from './min-id-length.js';
import { FORM_MAX_BYTES, MAX_FILES_PER_REQUEST, siteUrl, type FbContext } from './respond.js';
import { logUpload } from '../common/events.js';

interface Part {
  field: string;
  filename: string;
  /** Settles when the part's bytes are staged (or refused). */
  staged: Promise<StagedUpload | { failed: string }>;
}

/**
 * file/upload (basic): every file part, whatever its field name, in request order. FileBin's
 * clients send `apikey` after the files, so each file is streamed to the staging area as it
 * arrives (never buffered), and published only once the whole form is read and the checks pass in
 * FileBin's order: access, no file, per-file verification, minimum-id-length.
 */
export async function upload(ctx: FbContext): Promise<unknown> {
  const { core, config, req, reply } = ctx;
  const form = new PhpForm();
  const parts: Part[] = [];
  try {
    await readMultipartIfAny(ctx, form, parts);
  } catch (err) {
    closeAfterResponse(req.raw, reply.raw);
    await discardAll(parts);
    throw bodyFailure(err, parts);
  }
  const staged = await Promise.all(parts.map((p) => p.staged));
  const uploads = staged.filter((s): s is StagedUpload => !('failed' in s));
  let published = 0;
  try {
    const principal = await requireAccess(core, req, config, form, 'basic');
    if (parts.length === 0) throw new FbError('file/no-file');
    const bad = parts.findIndex((_p, i) => 'failed' in staged[i]!);
    if (bad >= 0) {
      const p = parts[bad]!;
      const field = baseField(p.field);
      throw new FbError('file/upload-verify', undefined, {
        [field]: {
          filename: p.filename,
          formfield: field,
          message: (staged[bad] as { failed: string }).failed,
        },
      });
    }
    const idLength = idLengthOf(form);
    // The quotas for the whole request first (each file is checked again as it is published).
    await core.files.checkUploadQuota(
      principal,
      uploads.reduce((n, u) => n + u.size, 0),
      { ip: req.ip },
    );
    await screenAll(ctx, parts, uploads);
    const ids: string[] = [];
    for (let i = 0; i < uploads.length; i++) {
      const up = uploads[i]!;
      const { file } = await core.files.publishStaged(up, {
        name: baseName(parts[i]!.filename) || 'stdin',
        uploader: principal,
        idLength,
        uploaderIp: req.ip,
      });
      published++;
      core.telemetry.event('upload', { dialect: 'filebin' });
      logUpload(req.log, 'filebin', file);
      ids.push(file.id);
      // Later uploads get a later time, so history lists them in upload order.
      while (Date.now() <= file.createdAt) await new Promise((r) => setTimeout(r, 1));
    }
    const base = siteUrl(req, config);
    return { ids, urls: ids.map((id) => `${base}${id}/`) };
  } catch (err) {
    await Promise.all(uploads.slice(published).map((u) => u.discard().catch(() => {})));
    throw err;
  }
}

async function readMultipartIfAny(ctx: FbContext, form: PhpForm, parts: Part[]): Promise<void> {
  const { core, req, reply } = ctx;
  if (!/^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    // A urlencoded post has fields but no files.
    await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES, form);
    return;
  }
  await readMultipart(req.raw, reply.raw, {
    maxBytes: FORM_MAX_BYTES,
    field: (k, v) => form.add(k, v),
    file: (field: string, stream: Readable, filename: string | undefined) => {
      // An empty <input type=file> (UPLOAD_ERR_NO_FILE) is skipped, as PHP does.
      if (!filename) return;
      if (parts.length >= MAX_FILES_PER_REQUEST) {
        parts.push({
          field,
          filename,
          staged: Promise.resolve({
            failed: `Too many files in one request (at most ${MAX_FILES_PER_REQUEST})`,
          }),
        });
        return;
      }
      // Through a pass-through: a refused file (too big) is dropped by the blob store, and the
      // rest of the part must still be drained so the next parts (and the key) can be read.
      const pass = new PassThrough();
      stream.pipe(pass);
      // A cut-off part: its stream errors, and the staging is abandoned (and discarded).
      stream.on('error', (err) => pass.destroy(err));
      const staged = core.files.stage(pass).catch((err: unknown) => {
        stream.unpipe(pass);
        stream.resume();
        if (err instanceof CoreError && err.code === 'file_too_large')
          return { failed: 'File too big' };
        return { failed: PARTIAL };
      });
      parts.push({ field, filename, staged });
      return staged;
    },
  });
}

const PARTIAL = 'The uploaded file was only partially uploaded';

/**
 * A body that failed while its files were read (cut off, malformed, too large) is reported as
 * PHP reports a broken upload: `file/upload-verify` for the part it broke in.
 */
function bodyFailure(err: unknown, parts: Part[]): unknown {
  const last = parts[parts.length - 1];
  if (!(err instanceof BodyError) || !last) return err;
  const field = baseField(last.field);
  return new FbError('file/upload-verify', undefined, {
    [field]: {
      filename: last.filename,
      formfield: field,
      message: err.reason === 'too_large' ? 'File too big' : PARTIAL,
    },
  });
}

async function discardAll(parts: Part[]): Promise<void> {
  for (const p of parts) {
    const s = await p.staged;
    if (!('failed' in s)) await s.discard().catch(() => {});
  }
}

/**
 * Moderation: a part whose bytes hash to a blocked SHA-256 fails FileBin's per-file verification
 * (`file/upload-verify`) before anything is published, so no file of the request is stored.
 */
async function screenAll(ctx: FbContext, parts: Part[], uploads: StagedUpload[]): Promise<void> {
  for (let i = 0; i < uploads.length; i++) {
    try {
      await ctx.core.blocks.screen(uploads[i]!.blob.key);
    } catch (err) {
      if (!(err instanceof CoreError && err.code === 'content_blocked')) throw err;
      const field = baseField(parts[i]!.field);
      throw new FbError('file/upload-verify', undefined, {
        [field]: {
          filename: parts[i]!.filename,
          formfield: field,
          message: 'This content is blocked on this server',
        },
      });
    }
  }
}
