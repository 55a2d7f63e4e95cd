export {
  TrafficService,
  UNIQUE_WINDOW_MS,
  type TrafficOptions,
  type TransferContext,
} from './traffic.js';
export type { CounterDelta, TrafficRepository } from './records.js';
