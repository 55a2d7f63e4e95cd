import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '../../config.js';
import type { SharedState } from '../../core/shared-state.js';
import { rateLimitStore } from '../common/rate-limit-store.js';
import { PdFailure } from './errors.js';

/** Per-route limit, as @fastify/rate-limit takes it. */
export interface RateLimit {
  max: number;
  timeWindow: number;
}

/**
 * @fastify/rate-limit, per route only (login, registration), keyed by client IP. Over the limit:
 * 429 `ip_rate_limit_reached` with Retry-After. Counters live in the shared state (Redis when
 * configured), so a limit holds across nodes.
 */
export async function setupRateLimit(
  app: FastifyInstance,
  config: Config,
  state: SharedState,
): Promise<RateLimit> {
  await app.register(rateLimit, {
    global: false,
    store: rateLimitStore(state),
    keyGenerator: (req: FastifyRequest) => req.ip,
    errorResponseBuilder: (_req, ctx) =>
      new PdFailure({
        status: 429,
        value: 'ip_rate_limit_reached',
        message: `Your IP address has made too many requests of this kind, try again in ${Math.ceil(ctx.ttl / 1000)} seconds`,
      }),
  });
  return { max: config.authRateLimit, timeWindow: 60_000 };
}
