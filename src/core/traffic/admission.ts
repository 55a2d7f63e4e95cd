// What the download rules decide and are told: their options, who asks, their answers.
import type { HotlinkOptions } from './hotlink-rule.js';

/**
 * Why a downloader may not download a file now ('' = they may), in pixeldrain's `availability`
 * values. The `_captcha_required` ones are lifted by a solved captcha; without a captcha the rules
 * refuse with the plain values instead.
 */
export type Availability =
  | ''
  | 'file_rate_limited_captcha_required'
  | 'ip_download_limited_captcha_required'
  | 'ip_transfer_limited_captcha_required'
  | 'hotlink_detected'
  | 'download_limit_exceeded'
  | 'transfer_limit_exceeded'
  /** The virus scanner flagged the file (STOWAGE_CLAMAV_ACTION=captcha). */
  | 'virus_detected_captcha_required'
  /**
   * Blocked: by an admin (abuse_type set; everyone but admins, the owner too: a takedown), or an
   * infected file under STOWAGE_CLAMAV_ACTION=block (`extra.type` malware).
   */
  | 'unavailable_for_legal_reasons';

export interface RulesOptions {
  hotlink: HotlinkOptions;
  /** Whether the captcha is on (else refusals cannot be lifted). */
  captcha: boolean;
  /** Downloads per IP per day, 0 = no limit. */
  ipDownloadLimit: number;
  /** Bytes per IP per day, 0 = no limit. */
  ipTransferLimit: number;
  ipLimitAction: 'captcha' | 'slow';
  /** Bytes per second once a client is slowed. */
  ipSpeedLimit: number;
  now?: () => number;
  /**
   * Downloads of a file the virus scanner flagged: a captcha for everyone but the owner (refused
   * without the captcha), or `block`: 451 for everyone but the owner and admins. Default captcha.
   */
  virusAction?: 'captcha' | 'block';
  /** How long a solved captcha lets that client download that file (default 1 h). */
  grantMs?: number;
  /** How long account flags are cached (default 10 s). */
  accountCacheMs?: number;
  /** How often per-IP sums are pushed to the shared state (default 1 s). */
  flushMs?: number;
}

/** Who asks. The account is resolved only if a rule needs it (authentication costs a query). */
export interface Downloader {
  /** Client IP. */
  client: string;
  /** The authenticated downloader's user id (null: anonymous), or how to find it out. */
  userId?: string | null | (() => Promise<string | null>);
}

export interface Admission {
  /** '' = serve; 'captcha_failed' = the captcha payload sent is not valid (or used already). */
  refused: Availability | 'captcha_failed';
  /** The bytes go to an exempt downloader: count them as paid bandwidth. */
  exempt: boolean;
  /** Bytes per second to send at (0 = no limit). */
  speedLimit: number;
}

/** The caller's per-IP limits (pixeldrain's `/misc/rate_limits`). */
export interface RateLimits {
  server_overload: boolean;
  speed_limit: number;
  download_limit: number;
  download_limit_used: number;
  transfer_limit: number;
  transfer_limit_used: number;
}
