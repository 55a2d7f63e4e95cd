import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { sendPdError, toPdErrorUnwrapped as toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';
import { actorOf, iso, theAdmin } from './guard.js';
import { adminForm, boolField, pageOf, PAGE_QUERY, SUCCESS } from './json.js';

const ADMIN_ERRORS = { 401: 'authentication_required', 403: 'forbidden' };
const HASH = {
  type: 'object',
  properties: {
    sha256: { type: 'string' },
    reason: { type: 'string' },
    created: { type: 'string' },
    created_by: { type: 'string' },
  },
};
const MUTATION_RESPONSES = {
  200: json(SUCCESS, 'Done'),
  ...errors({ 400: 'multiple_errors, error_reading_input', ...ADMIN_ERRORS, 404: 'not_found' }),
};

/** Blocked content hashes: list, block (optionally the files holding them too), unblock. */
export function registerAdminHashes(app: FastifyInstance, core: Core): void {
  app.get(
    '/hashes',
    {
      schema: {
        summary: 'Blocked SHA-256 hashes, newest first (admins only)',
        tags: [TAGS.admin],
        querystring: { type: 'object', properties: PAGE_QUERY },
        response: {
          200: json(
            {
              type: 'object',
              properties: { hashes: { type: 'array', items: HASH }, total: { type: 'integer' } },
            },
            'Blocked hashes and how many there are',
          ),
          ...errors(ADMIN_ERRORS),
        },
      },
    },
    async (
      req: FastifyRequest<{ Querystring: { limit?: string; offset?: string } }>,
      reply: FastifyReply,
    ) => {
      try {
        const { limit, offset } = pageOf(req.query);
        const { hashes, total } = await core.blocks.listHashes(limit, offset);
        return sendJson(reply, {
          hashes: hashes.map((h) => ({
            sha256: h.sha256,
            reason: h.reason,
            created: iso(h.createdAt),
            created_by: h.createdBy,
          })),
          total,
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/hashes',
    {
      schema: {
        summary: 'Block a SHA-256: uploads of these bytes are refused (admins only)',
        description:
          'Uploads whose content hashes to it are refused after staging (pixeldrain: 451 unavailable_for_legal_reasons; FileBin: file/upload-verify; Chevereto: Request denied). `block_files=true` also blocks the files that hold these bytes now (abuse type `type`, default other).',
        tags: [TAGS.admin],
        body: adminForm(
          {
            sha256: 'SHA-256 of the content, hex',
            reason: 'Why (audit log)',
            block_files: 'true: also block the files with these bytes',
            type: 'Abuse type for those files (default other)',
          },
          ['sha256'],
        ),
        response: MUTATION_RESPONSES,
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        await core.blocks.blockHash(fields.sha256 ?? '', fields.reason ?? '', actorOf(admin), {
          blockFiles: boolField(fields, 'block_files') ?? false,
          ...(fields.type ? { type: fields.type } : {}),
        });
        return sendJson(reply, { success: true });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/hashes/:sha256/delete',
    {
      schema: {
        summary: 'Unblock a SHA-256 (admins only)',
        tags: [TAGS.admin],
        params: {
          type: 'object',
          properties: { sha256: { type: 'string' } },
          required: ['sha256'],
        },
        body: adminForm({ reason: 'Why (audit log)' }),
        response: MUTATION_RESPONSES,
      },
    },
    async (req: FastifyRequest<{ Params: { sha256: string } }>, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        await core.blocks.unblockHash(req.params.sha256, fields.reason ?? '', actorOf(admin));
        return sendJson(reply, { success: true });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
