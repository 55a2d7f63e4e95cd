import { CoreError } from '../../core/errors.js';
import { MULTIPASTE_PREFIX } from '../../core/lists.js';
import { requireAccess } from './auth.js';
import { FbError } from './errors.js';
import { readPhpForm } from './form.js';
import { FORM_MAX_BYTES, type FbContext } from './respond.js';
import { logDelete } from '../common/events.js';

const REASONS: Partial<Record<string, string>> = {
  not_found: "doesn't exist",
  forbidden: 'wrong owner',
};

/**
 * file/delete (apikey): `ids[…]`, files or multipastes; per-id results inside a success. Deleting
 * a file also deletes every multipaste containing it (the core does, in the same transaction).
 */
export async function deleteIds({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'apikey');
  const ids = form.array('ids') ?? [];
  if (ids.length === 0) throw new FbError('file/delete/no-ids');
  const errors = new Map<string, { id: string; reason: string }>();
  const deleted = new Map<string, { id: string }>();
  for (const id of ids) {
    try {
      if (id.startsWith(MULTIPASTE_PREFIX)) await core.lists.deleteMultipaste(id, principal);
      else {
        await core.files.delete(id, { principal });
        core.telemetry.event('delete', { dialect: 'filebin' });
        logDelete(req.log, 'filebin', id, principal);
      }
      deleted.set(id, { id });
    } catch (err) {
      const reason = (err instanceof CoreError && REASONS[err.code]) || 'unknown error';
      errors.set(id, { id, reason });
    }
  }
  return { errors, deleted, total_count: ids.length, deleted_count: deleted.size };
}
