import { requireAccess } from './auth.js';
import { readPhpForm } from './form.js';
import { FORM_MAX_BYTES, type FbContext } from './respond.js';

/**
 * user/apikeys (full): the caller's keys, newest first. Keys are stored only as digests, so each
 * is listed under its public key id (`key`), which user/delete_apikey accepts.
 */
export async function apikeys({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'full');
  const keys = (await core.accounts.listSessions(principal)).reverse();
  return {
    apikeys: new Map(
      keys.map((k) => [
        k.keyId,
        {
          key: k.keyId,
          created: Math.floor(k.createdAt / 1000),
          comment: k.appName,
          access_level: k.accessLevel,
        },
      ]),
    ),
  };
}
