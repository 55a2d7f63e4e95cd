import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { ABUSE_TYPES } from '../../core/moderation/abuse-types.js';
import { DESCRIPTION_MAX } from '../../core/moderation/reports.js';
import { readForm } from '../common/form.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdErrorUnwrapped } from './errors.js';
import { FORM_MAX_BYTES, OK, sendJson } from './respond.js';
import { errors, form, idParam, json, str, TAGS } from './schemas.js';

/**
 * POST /api/file/{id}/report_abuse (spec 2.8): form `type` and `description`. Once per client
 * address and file; a blocked file cannot be reported; reports per address are limited per hour.
 */
export function registerFileReport(app: FastifyInstance, core: Core): void {
  app.post(
    '/file/:id/report_abuse',
    {
      schema: {
        summary: 'Report a file to the administrators',
        description: `Form \`type\` (one of ${ABUSE_TYPES.join(', ')}) and \`description\` (at most ${DESCRIPTION_MAX} characters). A client address may report a file once; reports per address are limited per hour (STOWAGE_REPORT_RATE_LIMIT).`,
        tags: [TAGS.files],
        params: idParam('File id'),
        body: form(
          {
            type: str('What is wrong with the file', { enum: [...ABUSE_TYPES] }),
            description: str('Details for the administrators', { maxLength: DESCRIPTION_MAX }),
          },
          ['type'],
        ),
        response: {
          200: json('Ok', 'Reported'),
          ...errors({
            400: 'resource_already_exists (this client reported the file already), file_already_blocked, missing_field, multiple_errors, error_reading_input',
            404: 'not_found',
            413: 'request_too_large',
            422: 'enum_parse_failed (extra.allowed_values), string_out_of_range',
            429: 'ip_rate_limit_reached',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const reporter = await principalOf(core, req, 'optional').catch(() => null);
        await core.reports.create(
          req.params.id,
          { type: fields.type ?? '', description: fields.description ?? '' },
          { ip: req.ip, userId: reporter?.userId ?? null },
        );
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdErrorUnwrapped(err));
      }
    },
  );
}
