import type { FastifyRequest } from 'fastify';
import { CoreError } from '../../../core/errors.js';
import type { FsCaller } from '../../../core/filesystem/index.js';
import type { Core } from '../../../core/index.js';
import { readCredentials } from '../../common/credentials.js';
import { principalOf } from '../auth.js';

/**
 * The caller of a filesystem request. On a shared id, a Basic password that is no API key is the
 * share's password (pixeldrain's password permissions); on `me` it must be a valid key.
 */
export async function callerOf(core: Core, req: FastifyRequest, bucket: string): Promise<FsCaller> {
  const mode = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'optional';
  if (bucket === 'me') return { principal: await principalOf(core, req, mode) };
  const creds = readCredentials(req.headers);
  try {
    return { principal: await principalOf(core, req, mode) };
  } catch (err) {
    if (
      creds?.source === 'basic' &&
      creds.key !== '' &&
      err instanceof CoreError &&
      err.code === 'authentication_failed'
    ) {
      return { principal: null, password: creds.key };
    }
    throw err;
  }
}

/** What follows `/filesystem` in the request's URL, still percent-encoded. */
export function rawFsPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const m = /\/filesystem(?=\/|$)/.exec(path);
  return m ? path.slice(m.index + m[0].length) : '';
}

/** A query flag: present (with any value but false/0). */
export function flag(q: Record<string, unknown>, name: string): boolean {
  if (!(name in q)) return false;
  const v = q[name];
  return !(v === 'false' || v === '0');
}
