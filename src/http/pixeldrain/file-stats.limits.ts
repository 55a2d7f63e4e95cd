import type { Core } from '../../core/index.js';
import type { RateLimits } from '../../core/traffic/index.js';

/** The `limits` feed of the file_stats websocket (spec 2.9), as `GET /api/misc/rate_limits`. */
export type RateLimitsFeed = RateLimits;

/** The caller's rate limits (per client address). */
export function rateLimitsFeed(core: Core, ip: string): Promise<RateLimitsFeed> {
  return Promise.resolve(core.rules.rateLimits(ip));
}
