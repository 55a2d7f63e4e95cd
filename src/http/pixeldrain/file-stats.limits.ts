import type { Core } from '../../core/index.js';

/** The `limits` feed of the file_stats websocket (spec 2.9), as `GET /api/misc/rate_limits`. */
export interface RateLimitsFeed {
  server_overload: boolean;
  speed_limit: number;
  download_limit: number;
  download_limit_used: number;
  transfer_limit: number;
  transfer_limit_used: number;
}

/** The caller's rate limits (per client address). */
export async function rateLimitsFeed(core: Core, ip: string): Promise<RateLimitsFeed> {
  return core.rules.rateLimits(ip);
}
