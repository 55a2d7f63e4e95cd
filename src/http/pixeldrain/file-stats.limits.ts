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
  // merge: core.rules.rateLimits(ip)
  void core;
  void ip;
  return {
    server_overload: false,
    speed_limit: 0,
    download_limit: 0,
    download_limit_used: 0,
    transfer_limit: 0,
    transfer_limit_used: 0,
  };
}
