import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { INVITE_DEFAULT_DAYS, INVITE_MAX_DAYS } from '../../core/limits/index.js';
import { readForm } from '../common/form.js';
import { PdFailure, sendPdError, toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, form, json, str, TAGS } from '../pixeldrain/schemas.js';
import { originOf } from '../web/sharex.js';
import { actorOf, iso, theAdmin } from './guard.js';

const INVITE = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'First 8 hex digits of the code’s SHA-256' },
    created: { type: 'string', format: 'date-time' },
    created_by: { type: 'string', description: 'The admin’s user id, or "cli"' },
    expires: { type: 'string', format: 'date-time' },
    used: { type: ['string', 'null'], format: 'date-time', description: 'When; null = unused' },
    used_by: { type: ['string', 'null'], description: 'The username registered with it' },
  },
};

type Paging = { Querystring: { limit?: string; offset?: string } };

/** GET and POST /api/admin/invites: registration invites (STOWAGE_REGISTRATION=invite). */
export function registerAdminInvites(app: FastifyInstance, core: Core, config: Config): void {
  app.get(
    '/invites',
    {
      schema: {
        summary: 'Registration invites, newest first (admins only)',
        tags: [TAGS.admin],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', description: '1 to 500, default 50' },
            offset: { type: 'string' },
          },
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: { invites: { type: 'array', items: INVITE }, total: { type: 'integer' } },
            },
            'Invites and how many there are in all',
          ),
          ...errors({ 401: 'authentication_required', 403: 'forbidden' }),
        },
      },
    },
    async (req: FastifyRequest<Paging>, reply: FastifyReply) => {
      try {
        const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
        const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
        const { invites, total } = await core.limits.invites.list(limit, offset);
        return sendJson(reply, {
          invites: invites.map((i) => ({
            id: i.id,
            created: iso(i.createdAt),
            created_by: i.createdBy,
            expires: iso(i.expiresAt),
            used: iso(i.usedAt),
            used_by: i.usedBy,
          })),
          total,
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/invites',
    {
      schema: {
        summary: 'Create a single-use registration invite (admins only)',
        description:
          'The code is shown once (only its hash is kept); `url` is the registration page with the code filled in. Audit-logged.',
        tags: [TAGS.admin],
        body: form({
          days: str(`Validity in days, 1 to ${INVITE_MAX_DAYS} (default ${INVITE_DEFAULT_DAYS})`),
          reason: str('Why (audit log)'),
        }),
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                success: { type: 'boolean' },
                code: { type: 'string' },
                url: { type: 'string' },
                expires: { type: 'string', format: 'date-time' },
              },
            },
            'The new invite',
          ),
          ...errors({
            401: 'authentication_required',
            403: 'forbidden',
            422: 'integer_out_of_range (days)',
          }),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const raw = (fields.days ?? '').trim();
        const days = raw === '' ? INVITE_DEFAULT_DAYS : Number(raw);
        if (!/^\d{0,4}$/.test(raw) || days < 1 || days > INVITE_MAX_DAYS) {
          throw new PdFailure({
            status: 422,
            value: 'integer_out_of_range',
            message: `days must be an integer from 1 to ${INVITE_MAX_DAYS}`,
            extra: { field: 'days', min_val: 1, max_val: INVITE_MAX_DAYS },
          });
        }
        const invite = await core.limits.invites.create(actorOf(admin), days, fields.reason ?? '');
        return sendJson(reply, {
          success: true,
          code: invite.code,
          url: `${originOf(req, config)}/register?invite=${invite.code}`,
          expires: iso(invite.expiresAt),
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
