import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { sendPdError, toPdErrorUnwrapped as toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';
import { AUDIT_ENTRY, auditJson } from './audit.js';
import { actorOf, theAdmin } from './guard.js';
import {
  ADMIN_FILE,
  adminFileJson,
  adminForm,
  ADMIN_USER,
  adminUserJson,
  boolField,
  pageOf,
  PAGE_QUERY,
  SUCCESS,
} from './json.js';

const ADMIN_ERRORS = { 401: 'authentication_required', 403: 'forbidden' };
const ID_PARAM = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
type IdReq = FastifyRequest<{ Params: { id: string } }>;

async function adminUser(core: Core, id: string) {
  const a = await core.adminSearch.user(id);
  if (!a) throw new CoreError('user_not_found', 'The user could not be found');
  return a;
}

/** Accounts: search, details, flags (disabled, admin, hotlink exempt), delete. */
export function registerAdminUsers(app: FastifyInstance, core: Core): void {
  app.get(
    '/users',
    {
      schema: {
        summary: 'Find accounts by username or e-mail substring (admins only)',
        tags: [TAGS.admin],
        querystring: { type: 'object', properties: { q: { type: 'string' }, ...PAGE_QUERY } },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                users: { type: 'array', items: ADMIN_USER },
                total: { type: 'integer' },
              },
            },
            'Accounts, oldest first, and how many match in all',
          ),
          ...errors(ADMIN_ERRORS),
        },
      },
    },
    async (
      req: FastifyRequest<{ Querystring: { q?: string; limit?: string; offset?: string } }>,
      reply: FastifyReply,
    ) => {
      try {
        const { users, total } = await core.adminSearch.users(req.query.q ?? '', pageOf(req.query));
        return sendJson(reply, { users: users.map(adminUserJson), total });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'An account: its newest 50 files and its audit log (admins only)',
        tags: [TAGS.admin],
        params: ID_PARAM,
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                user: ADMIN_USER,
                files: { type: 'array', items: ADMIN_FILE },
                audit: { type: 'array', items: AUDIT_ENTRY },
              },
            },
            'The account',
          ),
          ...errors({ ...ADMIN_ERRORS, 404: 'user_not_found' }),
        },
      },
    },
    async (req: IdReq, reply: FastifyReply) => {
      try {
        const user = await adminUser(core, req.params.id);
        const [files, audit] = await Promise.all([
          core.adminSearch.filesOf(user.user.id, 50),
          core.audit.list({ targetType: 'user', targetId: user.user.id, limit: 100 }),
        ]);
        return sendJson(reply, {
          user: adminUserJson(user),
          files: files.map(adminFileJson),
          audit: audit.entries.map(auditJson),
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/users/:id',
    {
      schema: {
        summary: 'Change an account’s flags (admins only)',
        description:
          'Any of `disabled` (no login; its keys are refused with 403 account_banned), `is_admin`, `hotlink_exempt`: true or false. An admin cannot disable or demote themselves (400 cannot_modify_self).',
        tags: [TAGS.admin],
        params: ID_PARAM,
        body: adminForm({
          disabled: 'true or false',
          is_admin: 'true or false',
          hotlink_exempt: 'true or false',
          reason: 'Why (audit log)',
        }),
        response: {
          200: json(
            { type: 'object', properties: { ...SUCCESS.properties, user: ADMIN_USER } },
            'The account as it is now',
          ),
          ...errors({
            400: 'cannot_modify_self, multiple_errors, error_reading_input',
            ...ADMIN_ERRORS,
            404: 'user_not_found',
          }),
        },
      },
    },
    async (req: IdReq, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const flags = {
          disabled: boolField(fields, 'disabled'),
          isAdmin: boolField(fields, 'is_admin'),
          hotlinkExempt: boolField(fields, 'hotlink_exempt'),
        };
        await core.adminUsers.setFlags(req.params.id, flags, actorOf(admin), fields.reason ?? '');
        const user = await adminUser(core, req.params.id);
        return sendJson(reply, { success: true, user: adminUserJson(user) });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/users/:id/delete',
    {
      schema: {
        summary: 'Delete an account and its files (admins only)',
        tags: [TAGS.admin],
        params: ID_PARAM,
        body: adminForm({ reason: 'Why (audit log)' }),
        response: {
          200: json(SUCCESS, 'Deleted'),
          ...errors({
            400: 'cannot_modify_self, error_reading_input',
            ...ADMIN_ERRORS,
            404: 'user_not_found',
          }),
        },
      },
    },
    async (req: IdReq, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        await core.adminUsers.delete(req.params.id, actorOf(admin), fields.reason ?? '');
        return sendJson(reply, { success: true });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
