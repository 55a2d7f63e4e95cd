import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { readCredentials } from '../common/credentials.js';

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
  const creds = readCredentials(req.headers);
  if (!creds) {
    if (required) throw new CoreError('authentication_required');
    return null;
  }
  try {
    return await core.accounts.authenticate(creds.key);
  } catch (err) {
    if (creds.source === 'cookie' && mode === 'read') return null;
    throw err;
  }
}
