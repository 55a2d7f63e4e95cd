import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from './errors.js';
import { sendJson } from './respond.js';
import { errors, idParam, json, TAGS } from './schemas.js';
import {
  isoTimes,
  parseSeriesQuery,
  SERIES_QUERY_ERRORS,
  SERIES_QUERY_SCHEMA,
  seriesJson,
  TIME_SERIES_SCHEMA,
  type SeriesQuerystring,
} from './series-query.js';

/** GET /api/file/{id}/timeseries?start=&end=&interval= (spec 2.8, pixeldrain's FileTimeSeries). */
export function registerFileTimeseries(app: FastifyInstance, core: Core): void {
  app.get(
    '/file/:id/timeseries',
    {
      schema: {
        summary: 'File traffic over time',
        description:
          'Views, downloads, bytes sent and bytes sent to exempt downloaders, in points of `interval` minutes (zero-filled, at most 10000: a longer range starts later). Buckets are per minute for STOWAGE_SERIES_MINUTE_DAYS, then per hour, then per day after STOWAGE_SERIES_HOUR_DAYS; an older bucket counts whole in the point its start falls in.',
        tags: [TAGS.files],
        params: idParam('File id'),
        querystring: SERIES_QUERY_SCHEMA,
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                views: TIME_SERIES_SCHEMA,
                downloads: TIME_SERIES_SCHEMA,
                bandwidth: TIME_SERIES_SCHEMA,
                bandwidth_paid: TIME_SERIES_SCHEMA,
              },
              required: ['views', 'downloads', 'bandwidth', 'bandwidth_paid'],
            },
            'The four series',
          ),
          ...errors({ ...SERIES_QUERY_ERRORS, 404: 'not_found' }),
        },
      },
    },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: SeriesQuerystring }>,
      reply: FastifyReply,
    ) => {
      try {
        const q = parseSeriesQuery(req.query);
        const s = await core.series.file(req.params.id, q);
        const t = isoTimes(s);
        return sendJson(reply, {
          views: seriesJson(t, s.views),
          downloads: seriesJson(t, s.downloads),
          bandwidth: seriesJson(t, s.bandwidth),
          bandwidth_paid: seriesJson(t, s.bandwidthPaid),
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
