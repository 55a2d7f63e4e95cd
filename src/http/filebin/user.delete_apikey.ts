import { requireAccess } from './auth.js';
import { FbError } from './errors.js';
import { readPhpForm } from './form.js';
import { FORM_MAX_BYTES, type FbContext } from './respond.js';

/** user/delete_apikey (full): `delete_key`, the key itself or its id; only the caller's keys. */
export async function deleteApikey({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'full');
  const key = (form.scalar('delete_key') ?? '').trim();
  if (!key || !(await core.accounts.revokeOwnKey(principal, key))) {
    throw new FbError('user/delete_apikey/failed');
  }
  return { deleted_keys: new Map([[key, { key }]]) };
}
