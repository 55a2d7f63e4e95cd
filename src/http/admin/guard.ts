import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Actor } from '../../core/moderation/audit.js';
import { principalOf } from '../pixeldrain/auth.js';

/**
 * The admin making this request: credentials as for the pixeldrain API (Basic key or the
 * `pd_auth_key` cookie; a cookie write from another site is refused). No credentials: 401
 * `authentication_required`; an account that is not an admin: 403 `forbidden`.
 */
export async function adminOf(core: Core, req: FastifyRequest): Promise<Principal> {
  const principal = await principalOf(core, req, 'required');
  if (!principal?.isAdmin) throw new CoreError('forbidden', 'This is for administrators only');
  return principal!;
}

/** The audit log's actor for an admin request. */
export function actorOf(p: Principal): Actor {
  return { userId: p.userId, name: p.username };
}

/** ISO time of an epoch ms (null stays null). */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
