import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { contentDisposition } from '../common/content-disposition.js';
import { toCsv } from '../common/csv.js';
import { callerOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { fileInfo } from './file-info.js';
import { sendJson } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, ref, str, TAGS } from './schemas.js';

/** GET /api/user/files, /api/user/lists: JSON `{[key]: [item…]}`, or CSV with `?format=csv`. */
function listingSchema(summary: string, key: string, item: Record<string, unknown>) {
  return {
    summary,
    tags: [TAGS.account],
    security: AUTH,
    querystring: {
      type: 'object',
      properties: { format: str('csv: a CSV file instead of JSON', { enum: ['csv'] }) },
    },
    response: {
      200: {
        description: `JSON {"${key}":[…]}, or a CSV attachment with ?format=csv`,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { [key]: { type: 'array', items: item } } },
          },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      ...errors(AUTH_ERRORS),
    },
  };
}

type Query = { Querystring: { format?: string } };

function sendCsv(reply: FastifyReply, name: string, csv: string): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', contentDisposition('attachment', name))
    .send(csv);
}

/** GET /api/user/files and /api/user/lists: the caller's things, as JSON or `?format=csv`. */
export function registerUserFiles(app: FastifyInstance, core: Core): void {
  const files = { schema: listingSchema('Your files', 'files', ref('FileInfo')) };
  const lists = { schema: listingSchema('Your lists', 'lists', ref('ListSummary')) };

  app.get('/user/files', files, async (req: FastifyRequest<Query>, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const files = await core.files.listOwned(principal);
      if (req.query.format === 'csv') {
        return sendCsv(
          reply,
          'files.csv',
          toCsv(
            [
              'id',
              'name',
              'size',
              'mime_type',
              'date_upload',
              'views',
              'downloads',
              'bandwidth_used',
              'hash_sha256',
            ],
            files.map((f) => [
              f.id,
              f.name,
              f.size,
              f.mimeType,
              new Date(f.createdAt).toISOString(),
              f.views,
              f.downloads,
              f.bandwidthUsed,
              f.blobKey,
            ]),
          ),
        );
      }
      return sendJson(reply, {
        files: files.map((f) =>
          fileInfo(f, true, undefined, core.limits.inactivity.deleteAfter(f)),
        ),
      });
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.get('/user/lists', lists, async (req: FastifyRequest<Query>, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const lists = await core.lists.listOwned(principal);
      if (req.query.format === 'csv') {
        return sendCsv(
          reply,
          'lists.csv',
          toCsv(
            ['id', 'title', 'date_created', 'file_count'],
            lists.map((l) => [l.id, l.title, new Date(l.createdAt).toISOString(), l.fileCount]),
          ),
        );
      }
      return sendJson(reply, {
        lists: lists.map((l) => ({
          id: l.id,
          title: l.title,
          date_created: new Date(l.createdAt).toISOString(),
          file_count: l.fileCount,
          files: null,
          can_edit: true,
        })),
      });
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });
}
