export {
  TrafficService,
  UNIQUE_WINDOW_MS,
  type TrafficOptions,
  type TransferContext,
} from './traffic.js';
export type { CounterDelta, TrafficRepository } from './records.js';
export type {
  FileCounterDelta,
  Resolution,
  SeriesOwner,
  SeriesRepository,
  SeriesRow,
} from './records.js';
export {
  SeriesService,
  MAX_INTERVAL,
  MAX_POINTS,
  MIN_INTERVAL,
  type Series,
  type SeriesQuery,
} from './series.js';
export { SeriesRollup, ROLLUP_LOCK, type SeriesRollupOptions } from './rollup.js';
export { RulesService } from './rules.js';
export type { Admission, Availability, Downloader, RateLimits, RulesOptions } from './admission.js';
export { AltchaCaptcha, type CaptchaVerdict } from './captcha.js';
export type { AccountFlags, SettingsRepository } from './records.js';
