import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { readCredentials } from '../common/credentials.js';

/**
 * The caller, if any. A bad key sent with HTTP Basic is an error; a stale `pd_auth_key` cookie
 * only counts as "no credentials" unless the endpoint requires them.
 */
export async function principalOf(core: Core, req: FastifyRequest, required: boolean): Promise<Principal | null> {
  const creds = readCredentials(req.headers);
  if (!creds) {
    if (required) throw new CoreError('authentication_required');
    return null;
  }
  try {
    return await core.accounts.authenticate(creds.key);
  } catch (err) {
    if (creds.source === 'cookie' && !required) return null;
    throw err;
  }
}
