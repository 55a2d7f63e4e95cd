import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from '@tus/server';
import { TUS_RESUMABLE } from '@tus/utils';
import type { Principal } from '../../../core/accounts.js';
import type { Core } from '../../../core/index.js';
import type { ResumableRecord, ResumableService } from '../../../core/resumable/index.js';
import type { TusBackend } from '../../../storage/tus/backend.js';
import { acceptBody, closeAfterResponse } from '../../common/early-reject.js';
import { logFailure } from '../../common/logging.js';
import { principalOf } from '../auth.js';
import { INTERNAL, sendPdError, toPdError, writePdError } from '../errors.js';
import { failUpload } from '../upload.js';
import { setContext, type TusContext } from './context.js';
import { TUS_SCHEMAS } from './schemas.js';
import { handleTus } from './request.js';
import { createTusServer, EXPOSED } from './server.js';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const OFFSET_STREAM = 'application/offset+octet-stream';

/**
 * tus 1.0 resumable uploads at /api/tus (issue 17): POST creates, HEAD/PATCH/DELETE on
 * /api/tus/{id}, GET /api/tus/{id} answers JSON (which file an upload became). Credentials and the
 * upload's owner are checked here, in pixeldrain's shapes; the protocol itself is @tus/server's,
 * handed the raw request and response (the route is hijacked; bodies are left unread by this
 * dialect's content-type parser).
 */
export function registerTus(app: FastifyInstance, core: Core, tus: TusBackend | null): void {
  const resumable = core.resumable;
  if (!resumable || !tus) return;
  const server = createTusServer(core, resumable, tus);

  const offsetOf = (id: string) =>
    tus.datastore.getUpload(id).then(
      (u) => u.offset,
      () => 0,
    );
  const finishIfComplete = async (
    record: ResumableRecord,
    principal: Principal | null,
    ip: string,
  ) =>
    record.fileId
      ? null
      : resumable.finishIfComplete(record, await offsetOf(record.id), principal, ip);

  const handOver = (req: FastifyRequest, reply: FastifyReply, ctx: TusContext) =>
    handToTus(server, resumable, req, reply, ctx);

  const options = (req: FastifyRequest, reply: FastifyReply) =>
    handOver(req, reply, { principal: null, ip: req.ip });
  app.options('/tus', { schema: TUS_SCHEMAS.options }, options);
  app.options('/tus/:id', { schema: TUS_SCHEMAS.options }, options);

  app.post('/tus', { schema: TUS_SCHEMAS.create }, async (req, reply) => {
    try {
      const principal = await principalOf(core, req, 'optional');
      if (!principal && !core.files.allowsAnonymousUploads) {
        // Before the tus server: the pixeldrain answer, not tus's.
        core.files.checkUploadAllowed(null, null, 'x');
      }
      acceptBody(req.raw, reply.raw);
      return await handOver(req, reply, { principal, ip: req.ip });
    } catch (err) {
      return failUpload(req, reply, err);
    }
  });

  app.head('/tus/:id', { schema: TUS_SCHEMAS.head }, async (req: IdRequest, reply) => {
    try {
      const principal = await principalOf(core, req, 'optional');
      const record = await resumable.get(req.params.id, principal);
      if (record.fileId) return finishedAnswer(reply, record, 200);
      // All bytes in but not published (the last PATCH's process died): publish it now.
      const done = await finishIfComplete(record, principal, req.ip);
      if (done)
        return finishedAnswer(reply, { ...record, fileId: done.fileId }, 200, done.deleteKey);
      return await handOver(req, reply, { principal, ip: req.ip, record });
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.patch('/tus/:id', { schema: TUS_SCHEMAS.patch }, async (req: IdRequest, reply) => {
    try {
      const principal = await principalOf(core, req, 'optional');
      const record = await resumable.get(req.params.id, principal);
      if (req.headers['content-type'] !== OFFSET_STREAM) {
        closeAfterResponse(req.raw, reply.raw);
        return reply
          .code(415)
          .header('Tus-Resumable', TUS_RESUMABLE)
          .type('text/plain')
          .send(`Content-Type must be ${OFFSET_STREAM}\n`);
      }
      if (record.fileId) {
        // The final answer was lost and the client sends the end again: it is a file already.
        closeAfterResponse(req.raw, reply.raw);
        const offset = Number(req.headers['upload-offset']);
        if (offset !== record.length) {
          return reply.code(409).header('Tus-Resumable', TUS_RESUMABLE).send('');
        }
        return finishedAnswer(reply, record, 204);
      }
      // The upload expires its expiry after its last write: counted from the start of this one
      // (and from its end: see the tus server's store).
      await resumable.touch(record.id);
      acceptBody(req.raw, reply.raw);
      return await handOver(req, reply, { principal, ip: req.ip, record });
    } catch (err) {
      return failUpload(req, reply, err);
    }
  });

  app.delete('/tus/:id', { schema: TUS_SCHEMAS.terminate }, async (req: IdRequest, reply) => {
    try {
      const principal = await principalOf(core, req, 'optional');
      const record = await resumable.get(req.params.id, principal);
      // Under the upload's lock: a PATCH still writing is asked to stop first.
      const lock = tus.locker.newLock(record.id);
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      await lock.lock(abort.signal, () => {});
      try {
        await resumable.terminate(record.id);
      } finally {
        await lock.unlock();
      }
      return reply.code(204).header('Tus-Resumable', TUS_RESUMABLE).send();
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.get(
    '/tus/:id',
    { schema: TUS_SCHEMAS.status, exposeHeadRoute: false },
    async (req: IdRequest, reply) => {
      try {
        const principal = await principalOf(core, req, 'read');
        let record = await resumable.get(req.params.id, principal);
        const done = await finishIfComplete(record, principal, req.ip);
        if (done) record = { ...record, fileId: done.fileId };
        const offset = record.fileId ? record.length : await offsetOf(record.id);
        return reply
          .header('Cache-Control', 'no-store')
          .header('Access-Control-Allow-Origin', '*')
          .send({
            id: record.id,
            offset,
            length: record.length,
            file_id: record.fileId,
            file_url: record.fileId ? `/api/file/${record.fileId}` : null,
          });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}

/** HEAD or a repeated last PATCH of an upload that is a file already. */
function finishedAnswer(
  reply: FastifyReply,
  record: ResumableRecord,
  status: 200 | 204,
  deleteKey?: string,
) {
  if (deleteKey) reply.header('Stowage-Delete-Key', deleteKey);
  return reply
    .code(status)
    .headers({
      'Tus-Resumable': TUS_RESUMABLE,
      'Upload-Offset': String(record.length),
      'Upload-Length': String(record.length),
      'Cache-Control': 'no-store',
      'Stowage-File-Id': record.fileId!,
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': ['Upload-Offset', 'Upload-Length', ...EXPOSED].join(', '),
    })
    .send();
}

/**
 * Hand the raw request to the tus server. Its answer gets, on its way out: Upload-Expires (the
 * core's expiry, counted from the last write), a JSON Content-Type for pixeldrain error bodies,
 * and `Connection: close` when a body was refused unread.
 */
async function handToTus(
  server: Server,
  resumable: ResumableService,
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: TusContext,
): Promise<void> {
  const raw = req.raw;
  const res = reply.raw;
  ctx.log = req.log;
  setContext(raw, ctx);
  // A client that goes away mid-body: the tus server ends the write with what arrived.
  raw.on('error', () => {});
  res.on('error', () => {});
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    decorate(status);
    // The tus server's headers come as one flat [name, value, …] list, which wins over setHeader.
    const raw = rest.find(Array.isArray) as string[] | undefined;
    if (ctx.json && raw) {
      for (let i = raw.length - 2; i >= 0; i -= 2) {
        if (raw[i]!.toLowerCase() === 'content-type') raw.splice(i, 2);
      }
      raw.push('Content-Type', 'application/json; charset=utf-8');
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, [status, ...rest]);
  } as typeof res.writeHead;
  const decorate = (status: number) => {
    if (status >= 400 && (req.method === 'POST' || req.method === 'PATCH')) {
      closeAfterResponse(raw, res);
    }
    const unfinishedWrite =
      (req.method === 'POST' && status === 201) || (req.method === 'PATCH' && status === 204);
    if (unfinishedWrite && !ctx.finished) {
      res.setHeader('Upload-Expires', new Date(Date.now() + resumable.expiryMs).toUTCString());
    } else if (req.method === 'HEAD' && status === 200 && ctx.record) {
      res.setHeader('Upload-Expires', new Date(ctx.record.expiresAt).toUTCString());
    }
  };
  reply.hijack();
  try {
    await handleTus(server, raw, res);
  } catch (err) {
    logFailure(req, reply, err, 'tus request failed');
    writePdError(res, INTERNAL);
  }
}
