import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { AuditEntry, AuditTarget } from '../../core/moderation/audit.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';
import { iso } from './guard.js';

export function auditJson(e: AuditEntry) {
  return {
    id: e.id,
    at: iso(e.at),
    actor_id: e.actorId,
    actor_name: e.actorName,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    reason: e.reason,
    details: e.details,
  };
}

export const AUDIT_ENTRY = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    actor_id: { type: ['string', 'null'] },
    actor_name: { type: 'string' },
    action: { type: 'string' },
    target_type: { type: 'string' },
    target_id: { type: 'string' },
    reason: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
};

type Query = {
  Querystring: { limit?: string; offset?: string; target_type?: string; target_id?: string };
};

/** GET /api/admin/audit: the audit log, newest first. */
export function registerAdminAudit(app: FastifyInstance, core: Core): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'The audit log of admin actions (admins only)',
        tags: [TAGS.admin],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', description: 'At most this many (1-1000, default 100)' },
            offset: { type: 'string' },
            target_type: { type: 'string', description: 'file, user, hash, report, invite' },
            target_id: { type: 'string' },
          },
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                entries: { type: 'array', items: AUDIT_ENTRY },
                total: { type: 'integer' },
              },
            },
            'Entries, newest first, and how many there are in all',
          ),
          ...errors({ 401: 'authentication_required', 403: 'forbidden' }),
        },
      },
    },
    async (req: FastifyRequest<Query>, reply: FastifyReply) => {
      try {
        const q = req.query;
        const { entries, total } = await core.audit.list({
          limit: Number(q.limit ?? 100) || 100,
          offset: Number(q.offset ?? 0) || 0,
          ...(q.target_type ? { targetType: q.target_type as AuditTarget } : {}),
          ...(q.target_id ? { targetId: q.target_id } : {}),
        });
        return sendJson(reply, { entries: entries.map(auditJson), total });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
