import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../../../core/accounts.js';
import type { ResumableRecord } from '../../../core/resumable/index.js';

/** What the Fastify route learnt about a request before handing it to the tus server. */
export interface TusContext {
  principal: Principal | null;
  ip: string;
  /** The upload's record (HEAD, PATCH: checked for ownership already). */
  record?: ResumableRecord;
  /** Set by onUploadFinish: the upload is a file now (no Upload-Expires on the answer). */
  finished?: boolean;
  /** The tus server's answer is a pixeldrain JSON error (its Content-Type is set). */
  json?: boolean;
  /** The request's logger (events carry its request id). */
  log?: FastifyBaseLogger;
}

const contexts = new WeakMap<IncomingMessage, TusContext>();

export function setContext(req: IncomingMessage, ctx: TusContext): void {
  contexts.set(req, ctx);
}

/** The context of a tus hook's request (srvx's NodeRequest keeps Node's request). */
export function contextOf(req: unknown): TusContext {
  const node = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  const ctx = node ? contexts.get(node) : undefined;
  if (!ctx) throw new Error('tus request without its context');
  return ctx;
}
