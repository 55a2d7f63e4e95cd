import { ACCESS_LEVELS, type AccessLevel } from '../../core/records.js';
import { clientInfo } from '../pixeldrain/respond.js';
import { requireAccess } from './auth.js';
import { FbError } from './errors.js';
import { readPhpForm } from './form.js';
import { FORM_MAX_BYTES, type FbContext } from './respond.js';

const COMMENT_MAX = 255;

/**
 * user/create_apikey (full, or `username` + `password`): a FileBin-format key (32 alphanumerics)
 * with the level asked; the comment is kept as the key's app name.
 */
export async function createApikey({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'full', { passwordLogin: true });
  const level = form.scalar('access_level');
  if (!level || !(ACCESS_LEVELS as readonly string[]).includes(level)) {
    throw new FbError('user/validation/access_level/invalid');
  }
  const comment = form.scalar('comment') ?? '';
  if ([...comment].length > COMMENT_MAX) throw new FbError('user/validation/comment/too-long');
  const { key } = await core.accounts.createKeyFor(principal, comment, clientInfo(req), {
    accessLevel: level as AccessLevel,
    format: 'alnum',
  });
  return { new_key: key };
}
