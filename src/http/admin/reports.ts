import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { REPORT_STATUSES, type ReportStatus } from '../../core/moderation/reports.js';
import { readForm } from '../common/form.js';
import { sendPdError, toPdErrorUnwrapped as toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';
import { actorOf, theAdmin } from './guard.js';
import { adminForm, pageOf, PAGE_QUERY, REPORT, reportsJson } from './json.js';

const ADMIN_ERRORS = { 401: 'authentication_required', 403: 'forbidden' };

/** GET /api/admin/reports, POST /api/admin/reports/{id}/resolve. */
export function registerAdminReports(app: FastifyInstance, core: Core): void {
  app.get(
    '/reports',
    {
      schema: {
        summary: 'Abuse reports, newest first (admins only)',
        tags: [TAGS.admin],
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', description: 'open (default), resolved, dismissed or all' },
            ...PAGE_QUERY,
          },
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: { reports: { type: 'array', items: REPORT }, total: { type: 'integer' } },
            },
            'Reports and how many match in all',
          ),
          ...errors({ ...ADMIN_ERRORS, 422: 'enum_parse_failed' }),
        },
      },
    },
    async (
      req: FastifyRequest<{ Querystring: { status?: string; limit?: string; offset?: string } }>,
      reply: FastifyReply,
    ) => {
      try {
        const status = req.query.status || 'open';
        if (status !== 'all' && !(REPORT_STATUSES as readonly string[]).includes(status))
          throw invalidInput([
            { field: 'status', problem: 'invalid_enum', allowed: [...REPORT_STATUSES, 'all'] },
          ]);
        const { reports, total } = await core.reports.list({
          ...(status === 'all' ? {} : { status: status as ReportStatus }),
          ...pageOf(req.query),
        });
        return sendJson(reply, { reports: await reportsJson(core, reports), total });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.post(
    '/reports/:id/resolve',
    {
      schema: {
        summary: 'Resolve a report: block its file, or dismiss it (admins only)',
        description:
          '`action=block` blocks the file with the report’s type and resolves every open report of that file; `dismiss` dismisses this report. `reason` goes to the audit log (and is shown on a blocked file’s viewer).',
        tags: [TAGS.admin],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        body: adminForm({ action: 'block or dismiss', reason: 'Why (audit log)' }, ['action']),
        response: {
          200: json(
            { type: 'object', properties: { success: { type: 'boolean' }, report: REPORT } },
            'The report as it is now',
          ),
          ...errors({
            400: 'multiple_errors, error_reading_input',
            ...ADMIN_ERRORS,
            404: 'not_found',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const report = await core.reports.resolve(
          req.params.id,
          fields.action ?? '',
          actorOf(admin),
          fields.reason ?? '',
        );
        const [json] = await reportsJson(core, [report]);
        return sendJson(reply, { success: true, report: json });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
