import { parseInteger, type Picker } from './config-values.js';

/** The moderation settings (issue 15: abuse reports, blocks, the admin tools). Part of `Config`. */
export interface ModerationConfig {
  /** Abuse reports one client address may send per hour (0 = unlimited). */
  reportRateLimit: number;
}

export const MODERATION_ENV: Record<keyof ModerationConfig, string> = {
  reportRateLimit: 'STOWAGE_REPORT_RATE_LIMIT',
};

export const MODERATION_DEFAULTS: ModerationConfig = {
  reportRateLimit: 10,
};

export function loadModerationConfig(
  c: ModerationConfig,
  pick: Picker<keyof ModerationConfig>,
): void {
  const limit = pick('reportRateLimit');
  if (limit)
    c.reportRateLimit = parseInteger(limit.setting, limit.value as string | number, 0, 1_000_000);
}
