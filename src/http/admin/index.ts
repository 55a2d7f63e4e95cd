import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { registerAdminAudit } from './audit.js';
import { guardAdmins } from './guard.js';
import { registerAdminInvites } from './invites.js';
import { registerAdminLimits } from './limits.js';
import { registerAdminFiles } from './files.js';
import { registerAdminHashes } from './hashes.js';
import { registerAdminReports } from './reports.js';
import { registerAdminStats } from './stats.js';
import { registerAdminUsers } from './users.js';

/**
 * The admin API, mounted at /api/admin inside the pixeldrain dialect (its credentials, its error
 * shape `{success:false,value,message}`, its form bodies). One hook guards every route before its
 * handler: 401 `authentication_required` without credentials, 403 `forbidden` for other accounts. Every
 * change is written to the audit log (`core.audit`).
 */
export async function adminApi(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<void> {
  const { core, config } = opts;
  // Before any route: the hook applies to the routes added after it in this plugin.
  guardAdmins(app, core);
  registerAdminAudit(app, core);
  registerAdminLimits(app, core, config);
  registerAdminInvites(app, core, config);
  registerAdminStats(app, core);
  registerAdminReports(app, core);
  registerAdminFiles(app, core);
  registerAdminHashes(app, core);
  registerAdminUsers(app, core);
}
