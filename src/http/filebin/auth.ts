import type { FastifyRequest } from 'fastify';
import { levelAtLeast } from '../../core/access.js';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { AccessLevel } from '../../core/records.js';
import type { Config } from '../../config.js';
import { clientInfo } from '../pixeldrain/respond.js';
import { FbError, FbPageError } from './errors.js';
import type { PhpForm } from './form.js';
import { siteUrl } from './respond.js';

export function notAuthenticated(req: FastifyRequest, config: Config): FbError {
  return new FbError(
    'api/not-authenticated',
    `Not authenticated. FileBin requires you to have an account, please go to the homepage at ${siteUrl(req, config)} for more information.`,
  );
}

/**
 * FileBin's require_access: the POST field `apikey` (trimmed; present even empty means "log in
 * with it"), or, where allowed (create_apikey), `username` + `password` (level full); then the
 * key's level against the endpoint's. A GET query `apikey` is never read.
 */
export async function requireAccess(
  core: Core,
  req: FastifyRequest,
  config: Config,
  form: PhpForm,
  wanted: AccessLevel,
  opts: { passwordLogin?: boolean } = {},
): Promise<Principal> {
  let principal: Principal | null = null;
  if (opts.passwordLogin) {
    const username = form.scalar('username') ?? '';
    const password = form.scalar('password') ?? '';
    if (username && password) {
      try {
        principal = await core.accounts.passwordPrincipal(username, password, clientInfo(req));
      } catch (err) {
        // Over the password limit: said as such (429); any other refusal is a failed login.
        if (err instanceof CoreError && err.code !== 'rate_limited')
          throw new FbError('user/login-failed');
        throw err;
      }
    }
  }
  if (!principal && form.has('apikey')) {
    let key: string | undefined;
    try {
      key = form.scalar('apikey');
    } catch {
      // FileBin checks this before routing to the API: its answer is an HTML page.
      throw new FbPageError(400, 'Error', 'Invalid input in field apikey');
    }
    try {
      principal = await core.accounts.authenticate((key ?? '').trim());
    } catch (err) {
      if (err instanceof CoreError) throw new FbError('user/api-login-failed');
      throw err;
    }
  }
  if (!principal) throw notAuthenticated(req, config);
  if (!levelAtLeast(principal.accessLevel, wanted)) {
    throw new FbError(
      'api/insufficient-permissions',
      `Access denied: Access level too low. Required: ${wanted}; Have: ${principal.accessLevel}`,
    );
  }
  return principal;
}
