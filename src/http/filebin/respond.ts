import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { originOf } from '../web/sharex.js';

/**
 * JSON as PHP's json_encode writes it (FileBin's replies are byte-compared by its clients' tests):
 * `/` escaped as `\/`, and every non-ASCII UTF-16 unit as a lowercase `\uXXXX`.
 */
export function phpJson(value: unknown): string {
  return encode(value).replace(/[/\u0080-\uffff]/g, (c) =>
    c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * JSON.stringify, except that a Map is an object in the Map's order: FileBin ids are object keys,
 * and a JavaScript object would move all-digit ones ("482") to the front.
 */
function encode(v: unknown): string {
  if (v instanceof Map) {
    const parts: string[] = [];
    for (const [k, x] of v as Map<string, unknown>) parts.push(`${JSON.stringify(k)}:${encode(x)}`);
    return `{${parts.join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(encode).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) parts.push(`${JSON.stringify(k)}:${encode(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export const JSON_TYPE = 'application/json; charset=UTF-8';

export function sendFbJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(phpJson(body));
}

export function sendFbSuccess(reply: FastifyReply, data: unknown): FastifyReply {
  return sendFbJson(reply, { status: 'success', data });
}

/** FileBin's site_url(): the public base with a trailing slash. */
export function siteUrl(req: FastifyRequest, config: Config): string {
  return `${originOf(req, config).replace(/\/+$/, '')}/`;
}

/** FileBin's limits as get_config reports them (and upload enforces). */
export const MAX_FILES_PER_REQUEST = 20;
export const MAX_INPUT_VARS = 1000;
/** Non-upload forms (ids, keys, comments): room for max_input_vars ids. */
export const FORM_MAX_BYTES = 1024 * 1024;

/** What every endpoint gets; it returns the success `data` or throws an FbError. */
export interface FbContext {
  core: Core;
  config: Config;
  req: FastifyRequest;
  reply: FastifyReply;
}

export type FbEndpoint = (ctx: FbContext) => Promise<unknown>;

/** FileBin's default id lengths (`upload_id_limits` "3-6"). */
export const DEFAULT_ID_LENGTH = { min: 3, max: 6 };
