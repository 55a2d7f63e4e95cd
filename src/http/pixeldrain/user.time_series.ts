import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Series } from '../../core/traffic/index.js';
import { callerOf } from './auth.js';
import { INVALID_ENDPOINT, sendPdError, toPdError } from './errors.js';
import { sendJson } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, json, str, TAGS } from './schemas.js';
import {
  isoTimes,
  parseSeriesQuery,
  SERIES_QUERY_ERRORS,
  SERIES_QUERY_SCHEMA,
  seriesJson,
  TIME_SERIES_SCHEMA,
  type SeriesQuerystring,
} from './series-query.js';

/** pixeldrain's stat names -> the series. */
const STATS: Record<string, keyof Omit<Series, 'timestamps'>> = {
  views: 'views',
  downloads: 'downloads',
  bandwidth: 'bandwidth',
  transfer_paid: 'bandwidthPaid',
};

/** GET /api/user/time_series/{views|downloads|bandwidth|transfer_paid} (spec 4.4). */
export function registerUserTimeSeries(app: FastifyInstance, core: Core): void {
  app.get(
    '/user/time_series/:stat',
    {
      schema: {
        summary: 'Your traffic over time',
        description:
          "The sum over the files you own of one counter, in points of `interval` minutes (as a file's timeseries).",
        tags: [TAGS.account],
        security: AUTH,
        params: {
          type: 'object',
          properties: {
            stat: str('Which counter', { enum: Object.keys(STATS) }),
          },
          required: ['stat'],
        },
        querystring: SERIES_QUERY_SCHEMA,
        response: {
          200: json(TIME_SERIES_SCHEMA, 'The series'),
          ...errors({
            ...SERIES_QUERY_ERRORS,
            ...AUTH_ERRORS,
            404: 'invalid_endpoint (another stat)',
          }),
        },
      },
    },
    async (
      req: FastifyRequest<{ Params: { stat: string }; Querystring: SeriesQuerystring }>,
      reply: FastifyReply,
    ) => {
      try {
        const stat = Object.hasOwn(STATS, req.params.stat) ? STATS[req.params.stat] : undefined;
        if (!stat) return sendPdError(reply, INVALID_ENDPOINT);
        const principal = await callerOf(core, req);
        const s = await core.series.user(principal, parseSeriesQuery(req.query));
        return sendJson(reply, seriesJson(isoTimes(s), s[stat]));
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
