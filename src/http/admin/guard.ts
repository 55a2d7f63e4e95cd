import type { FastifyInstance, FastifyRequest } from 'fastify';
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

const admins = new WeakMap<FastifyRequest, Principal>();

/**
 * Guard every route of the admin plugin at once (a route added later cannot forget it): the
 * caller must be an admin before any handler runs. Refusals go to the dialect's error handler.
 */
export function guardAdmins(app: FastifyInstance, core: Core): void {
  app.addHook('preHandler', async (req) => {
    admins.set(req, await adminOf(core, req));
  });
}

/** The admin of a request that passed `guardAdmins`. */
export function theAdmin(req: FastifyRequest): Principal {
  const p = admins.get(req);
  if (!p) throw new Error('an admin route outside the admin guard');
  return p;
}

/** The audit log's actor for an admin request. */
export function actorOf(p: Principal): Actor {
  return { userId: p.userId, name: p.username };
}

/** ISO time of an epoch ms (null stays null). */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
