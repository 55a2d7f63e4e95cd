import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { readCredentials } from '../common/credentials.js';
import { PdFailure } from './errors.js';

export type AuthMode =
  /** No credentials: error. */
  | 'required'
  /** No credentials: anonymous. A bad key is an error (an upload must not silently lose its owner). */
  | 'optional'
  /** For reads: a stale `pd_auth_key` cookie counts as no credentials; a bad Basic key is still an error. */
  | 'read';

/** The caller, if any. */
export async function principalOf(
  core: Core,
  req: FastifyRequest,
  mode: AuthMode,
): Promise<Principal | null> {
  const required = mode === 'required';
  let creds = readCredentials(req.headers);
  // Reads only: a download tool that always sends Basic auth, with no key configured, reads as anonymous.
  if (creds?.key === '' && mode === 'read') creds = null;
  if (!creds) {
    if (required) throw new CoreError('authentication_required');
    return null;
  }
  if (creds.source === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD') {
    refuseForeignOrigin(req);
  }
  try {
    return await core.accounts.authenticate(creds.key);
  } catch (err) {
    if (creds.source === 'cookie' && mode === 'read') return null;
    throw err;
  }
}

/**
 * A browser sends the cookie with requests other sites make it send; SameSite=Lax stops most, and
 * a write whose Origin is another site is refused outright (pixeldrain's request_origin_invalid).
 */
export function refuseForeignOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (!origin) return;
  let host: string | null;
  try {
    host = new URL(origin).host;
  } catch {
    host = null;
  }
  if (host !== req.headers.host) {
    throw new PdFailure({
      status: 400,
      value: 'request_origin_invalid',
      message: 'The request was sent from another website, which is not allowed',
    });
  }
}

/** The caller, who must have sent a valid key. */
export async function callerOf(core: Core, req: FastifyRequest): Promise<Principal> {
  const p = await principalOf(core, req, 'required');
  if (!p) throw new CoreError('authentication_required');
  return p;
}
