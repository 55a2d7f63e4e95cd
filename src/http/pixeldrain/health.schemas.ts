import { always, json, object, TAGS } from './schemas.js';

/** GET /api/health. */
export const HEALTH_SCHEMA = {
  summary: 'Liveness check',
  description:
    'The process is up and serving. Cheap: it probes nothing (see /api/health/ready) and publishes no versions.',
  tags: [TAGS.misc],
  response: {
    200: json(object({ status: always('ok') }), 'The process serves'),
  },
};

const CHECK = {
  type: 'string',
  enum: ['ok', 'down'],
  description: 'Reachable within the probe timeout (2 s), or not',
};
const CHECKS = {
  type: 'object',
  description:
    'The backends this node uses; `redis` and `clamav` only when configured (`clamav` down is reported but does not make the node unready: uploads work, their scans wait)',
  properties: { database: CHECK, blob_store: CHECK, redis: CHECK, clamav: CHECK },
  required: ['database'],
};

/** GET /api/health/ready. */
export const READY_SCHEMA = {
  summary: 'Readiness check',
  description:
    'Whether this node can serve requests now: SELECT 1 on the database, a stat of the data dir or HeadBucket on S3, PING on Redis, at once, each within 2 s. 503 names what is down.',
  tags: [TAGS.misc],
  response: {
    200: json(object({ status: always('ready'), checks: CHECKS }), 'Every backend answers'),
    503: json(
      object({ status: always('unavailable'), checks: CHECKS }),
      'A backend cannot be reached (its check is "down")',
    ),
  },
};
