import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError, invalidInput } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Principal } from '../../core/accounts.js';
import { FILE_SEARCH_BY, type FileSearchBy } from '../../core/moderation/admin-search.js';
import { readForm } from '../common/form.js';
import { sendPdError, toPdErrorUnwrapped as toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';
import { auditJson, AUDIT_ENTRY } from './audit.js';
import { actorOf, iso, theAdmin } from './guard.js';
import {
  ADMIN_FILE,
  adminFileJson,
  adminForm,
  pageOf,
  PAGE_QUERY,
  REPORT,
  reportsJson,
  SUCCESS,
} from './json.js';

const ADMIN_ERRORS = { 401: 'authentication_required', 403: 'forbidden' };
const DAY_MS = 86_400_000;
const ID_PARAM = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
type IdReq = FastifyRequest<{ Params: { id: string } }>;

async function adminFile(core: Core, id: string) {
  const a = await core.adminSearch.file(id);
  if (!a) throw new CoreError('not_found', 'The entity you requested could not be found');
  return adminFileJson(a);
}

const series = (t: string[], amounts: number[]) => ({ timestamps: t, amounts });

/** Admin file routes: search, details, block, unblock, delete. */
export function registerAdminFiles(app: FastifyInstance, core: Core): void {
  app.get(
    '/files',
    {
      schema: {
        summary: 'Find files (admins only)',
        description:
          '`by`: id, name (substring, case-insensitive), sha256, user (the owner’s username), ip (the uploader’s address). Without `by`, a guess: 8 characters = id, 64 hex = sha256, an IP address = ip, else name. Without `q`: the newest files.',
        tags: [TAGS.admin],
        querystring: {
          type: 'object',
          properties: { q: { type: 'string' }, by: { type: 'string' }, ...PAGE_QUERY },
        },
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                files: { type: 'array', items: ADMIN_FILE },
                total: { type: 'integer' },
              },
            },
            'Files, newest first, and how many match in all',
          ),
          ...errors({ ...ADMIN_ERRORS, 422: 'enum_parse_failed' }),
        },
      },
    },
    async (
      req: FastifyRequest<{
        Querystring: { q?: string; by?: string; limit?: string; offset?: string };
      }>,
      reply: FastifyReply,
    ) => {
      try {
        const by = req.query.by || undefined;
        if (by !== undefined && !(FILE_SEARCH_BY as readonly string[]).includes(by))
          throw invalidInput([{ field: 'by', problem: 'invalid_enum', allowed: FILE_SEARCH_BY }]);
        const { files, total } = await core.adminSearch.files(
          req.query.q ?? '',
          by as FileSearchBy | undefined,
          pageOf(req.query),
        );
        return sendJson(reply, { files: files.map(adminFileJson), total });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.get(
    '/files/:id',
    {
      schema: {
        summary: 'A file’s details: reports, audit log, daily traffic of 30 days (admins only)',
        tags: [TAGS.admin],
        params: ID_PARAM,
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                file: ADMIN_FILE,
                reports: { type: 'array', items: REPORT },
                audit: { type: 'array', items: AUDIT_ENTRY },
                traffic: { type: 'object', additionalProperties: true },
              },
            },
            'The file',
          ),
          ...errors({ ...ADMIN_ERRORS, 404: 'not_found' }),
        },
      },
    },
    async (req: IdReq, reply: FastifyReply) => {
      try {
        const file = await adminFile(core, req.params.id);
        const end = Math.ceil(core.files.clock() / DAY_MS) * DAY_MS;
        const [reports, audit, s] = await Promise.all([
          core.reports.list({ fileId: file.id, limit: 500 }),
          core.audit.list({ targetType: 'file', targetId: file.id, limit: 100 }),
          core.series.file(file.id, { start: end - 30 * DAY_MS, end, intervalMinutes: 1440 }),
        ]);
        const t = s.timestamps.map((ms) => iso(ms)!);
        return sendJson(reply, {
          file,
          reports: await reportsJson(core, reports.reports),
          audit: audit.entries.map(auditJson),
          traffic: {
            views: series(t, s.views),
            downloads: series(t, s.downloads),
            bandwidth: series(t, s.bandwidth),
            bandwidth_paid: series(t, s.bandwidthPaid),
          },
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  const mutation = (
    path: string,
    summary: string,
    fields: Record<string, string>,
    act: (id: string, f: Record<string, string>, admin: Principal) => Promise<boolean>,
  ) =>
    app.post(
      `/files/:id/${path}`,
      {
        schema: {
          summary: `${summary} (admins only)`,
          tags: [TAGS.admin],
          params: ID_PARAM,
          body: adminForm({ ...fields, reason: 'Why (audit log; shown on a blocked file)' }),
          response: {
            200: json(
              { type: 'object', properties: { ...SUCCESS.properties, file: ADMIN_FILE } },
              'Done (block and unblock: the file as it is now)',
            ),
            ...errors({
              400: 'multiple_errors, error_reading_input',
              ...ADMIN_ERRORS,
              404: 'not_found',
            }),
          },
        },
      },
      async (req: IdReq, reply: FastifyReply) => {
        try {
          const admin = theAdmin(req);
          const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
          const withFile = await act(req.params.id, fields, admin);
          return sendJson(reply, {
            success: true,
            ...(withFile ? { file: await adminFile(core, req.params.id) } : {}),
          });
        } catch (err) {
          return sendPdError(reply, toPdError(err));
        }
      },
    );

  mutation(
    'block',
    'Block a file: 451 unavailable_for_legal_reasons for all but admins',
    { type: 'Abuse type (default other)' },
    async (id, f, admin) => {
      await core.blocks.block(id, f.type, f.reason ?? '', actorOf(admin));
      return true;
    },
  );
  mutation('unblock', 'Unblock a file', {}, async (id, f, admin) => {
    await core.blocks.unblock(id, f.reason ?? '', actorOf(admin));
    return true;
  });
  mutation('delete', 'Delete a file, whoever owns it', {}, async (id, f, admin) => {
    await core.blocks.deleteFile(id, f.reason ?? '', actorOf(admin));
    return false;
  });
}
