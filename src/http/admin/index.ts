import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { registerAdminAudit } from './audit.js';
import { registerAdminFiles } from './files.js';
import { registerAdminHashes } from './hashes.js';
import { registerAdminReports } from './reports.js';
import { registerAdminStats } from './stats.js';
import { registerAdminUsers } from './users.js';
import { registerAdminInvites } from './invites.js';
import { registerAdminLimits } from './limits.js';

/**
 * The admin API, mounted at /api/admin inside the pixeldrain dialect (its credentials, its error
 * shape `{success:false,value,message}`, its form bodies). Every route checks `adminOf` first:
 * 401 `authentication_required` without credentials, 403 `forbidden` for other accounts. Every
 * change is written to the audit log (`core.audit`).
 */
export async function adminApi(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<void> {
  const { core, config } = opts;
  registerAdminAudit(app, core);
  registerAdminStats(app, core);
  registerAdminReports(app, core);
  registerAdminFiles(app, core);
  registerAdminHashes(app, core);
  registerAdminUsers(app, core);
  registerAdminLimits(app, core, config);
  registerAdminInvites(app, core, config);
}
