import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { sendJson } from '../pixeldrain/respond.js';
import { errors, json, TAGS } from '../pixeldrain/schemas.js';

const int = { type: 'integer' };

/** GET /api/admin/stats: the instance's totals. */
export function registerAdminStats(app: FastifyInstance, core: Core): void {
  app.get(
    '/stats',
    {
      schema: {
        summary: 'Instance totals (admins only)',
        description:
          'Files and their bytes; distinct contents (blobs) and their bytes; accounts; open reports; blocked files and hashes; contents by scan status (pending = not scanned yet).',
        tags: [TAGS.admin],
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                files: int,
                file_bytes: int,
                blobs: int,
                blob_bytes: int,
                users: int,
                reports_open: int,
                files_blocked: int,
                hashes_blocked: int,
                scans: {
                  type: 'object',
                  properties: {
                    pending: int,
                    clean: int,
                    infected: int,
                    error: int,
                    unscanned: int,
                  },
                },
              },
            },
            'Totals',
          ),
          ...errors({ 401: 'authentication_required', 403: 'forbidden' }),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const [s, open] = await Promise.all([core.adminSearch.stats(), core.reports.countOpen()]);
        return sendJson(reply, {
          files: s.files,
          file_bytes: s.fileBytes,
          blobs: s.blobs,
          blob_bytes: s.blobBytes,
          users: s.users,
          reports_open: open,
          files_blocked: s.filesBlocked,
          hashes_blocked: s.hashesBlocked,
          scans: s.scans,
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
