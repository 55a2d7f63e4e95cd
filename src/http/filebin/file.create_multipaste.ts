import { requireAccess } from './auth.js';
import { FbError } from './errors.js';
import { readPhpForm } from './form.js';
import { idLengthOf } from './min-id-length.js';
import { FORM_MAX_BYTES, siteUrl, type FbContext } from './respond.js';

/**
 * file/create_multipaste (basic): `ids[…]` of the caller's own files, checked in FileBin's order
 * (minimum-id-length, no ids, duplicates, then every id); the id is "m-" + a FileBin-style id.
 */
export async function createMultipaste({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'basic');
  const idLength = idLengthOf(form);
  const ids = form.array('ids') ?? [];
  if (ids.length === 0) throw new FbError('file/create_multipaste/no-ids');
  if (new Set(ids).size !== ids.length) throw new FbError('file/create_multipaste/duplicate-id');
  const result = await core.lists.createMultipaste(ids, principal, idLength);
  if (!result.ok) {
    throw new FbError(
      'file/create_multipaste/verify-failed',
      undefined,
      new Map(
        result.problems.map((p) => [
          p.id,
          { id: p.id, reason: p.reason === 'not_found' ? "doesn't exist" : 'not owned by you' },
        ]),
      ),
    );
  }
  const id = result.list.id;
  return { url_id: id, url: `${siteUrl(req, config)}${id}/` };
}
