export {
  TrafficService,
  UNIQUE_WINDOW_MS,
  type TrafficOptions,
  type TransferContext,
} from './traffic.js';
export type { CounterDelta, TrafficRepository } from './records.js';
export {
  RulesService,
  type Admission,
  type Availability,
  type Downloader,
  type RateLimits,
  type RulesOptions,
} from './rules.js';
export { AltchaCaptcha, type CaptchaVerdict } from './captcha.js';
export type { AccountFlags, SettingsRepository } from './records.js';
