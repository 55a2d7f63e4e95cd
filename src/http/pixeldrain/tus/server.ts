import { randomBytes } from 'node:crypto';
import { Server } from '@tus/server';
import type { Readable } from 'node:stream';
import { ERRORS, Upload, type DataStore } from '@tus/utils';
import { CoreError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import type { ResumableService } from '../../../core/resumable/index.js';
import type { TusBackend } from '../../../storage/tus/backend.js';
import { errorBody, toPdError } from '../errors.js';
import { logUpload } from '../../common/events.js';
import { contextOf } from './context.js';

export const TUS_PATH = '/api/tus';
/** Headers of ours the browser may read on tus answers. */
export const EXPOSED = ['Stowage-File-Id', 'Stowage-Delete-Key'];

function isTusError(err: unknown): err is { status_code: number; body: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { status_code?: unknown }).status_code === 'number' &&
    typeof (err as { body?: unknown }).body === 'string'
  );
}

/**
 * The tus 1.0 server (@tus/server) on the backend's store and locker. Its hooks call the core:
 * admission at creation (onUploadCreate), publication as a file when the last byte is in
 * (onUploadFinish). Errors other than the protocol's become pixeldrain's JSON error bodies.
 */
export function createTusServer(core: Core, resumable: ResumableService, tus: TusBackend): Server {
  return new Server({
    path: TUS_PATH,
    datastore: touching(tus.datastore, resumable),
    locker: tus.locker,
    maxSize: resumable.maxSize,
    // Location: /api/tus/<id>, resolved by clients against the URL they posted to (no Host trust).
    relativeLocation: true,
    namingFunction: () => randomBytes(16).toString('hex'),
    exposedHeaders: EXPOSED,
    onUploadCreate: async (req, upload) => {
      const ctx = contextOf(req);
      await resumable.create({
        id: upload.id,
        uploader: ctx.principal,
        ip: ctx.ip,
        length: upload.size ?? 0,
        name: upload.metadata?.filename,
      });
      return {};
    },
    onUploadFinish: async (req, upload) => {
      const ctx = contextOf(req);
      const done = await resumable.finish(upload.id, ctx.principal, ctx.ip);
      ctx.finished = true;
      core.telemetry.event('upload', { dialect: 'pixeldrain' });
      if (ctx.log) {
        const owner = ctx.principal?.userId ?? null;
        logUpload(ctx.log, 'tus', { id: done.fileId, size: upload.size ?? 0, ownerId: owner });
      }
      return {
        headers: {
          'Stowage-File-Id': done.fileId,
          ...(done.deleteKey ? { 'Stowage-Delete-Key': done.deleteKey } : {}),
        },
      };
    },
    onResponseError: (req, err) => {
      if (err === ERRORS.ERR_MAX_SIZE_EXCEEDED || err === ERRORS.ERR_SIZE_EXCEEDED) {
        const e = toPdError(tooLarge(resumable.maxSize));
        contextOf(req).json = true;
        return { status_code: e.status, body: errorBody(e) };
      }
      if (isTusError(err)) return undefined;
      const e = toPdError(err);
      contextOf(req).json = true;
      return { status_code: e.status, body: errorBody(e) };
    },
  });
}

function tooLarge(max: number): CoreError {
  return new CoreError('file_too_large', 'The file you tried to upload is too large', {
    max_size: max,
  });
}

/**
 * The store, with every write followed by the core's touch (the upload expires its expiry after
 * its last write), before the tus server answers the PATCH. An upload whose bytes became a file
 * (or started to) while a request waited for its lock (a racing PATCH on another connection or
 * node) reads as complete, so that request gets 409 (offset mismatch), not 404 or 410.
 */
function touching(store: DataStore, resumable: ResumableService): DataStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'getUpload') {
        return async (id: string) => {
          try {
            return await target.getUpload(id);
          } catch (err) {
            // Gone, or (file store) its bytes renamed away before its metadata file was removed.
            if (err !== ERRORS.FILE_NOT_FOUND && err !== ERRORS.FILE_NO_LONGER_EXISTS) throw err;
            const length = await resumable.publishedLength(id);
            if (length === null) throw err;
            return new Upload({ id, size: length, offset: length });
          }
        };
      }
      if (prop === 'write') {
        return async (stream: Readable, id: string, offset: number) => {
          try {
            return await target.write(stream, id, offset);
          } finally {
            await resumable.touch(id).catch(() => {});
          }
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
