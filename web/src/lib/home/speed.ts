// Upload speed, smoothed over the last few seconds: the bytes sent between the oldest sample in
// the window and now, divided by the time between them. Progress events come in bursts (the
// browser hands the socket big chunks), so one event's delta alone would jump around.

/** How far back the average looks, in milliseconds. */
export const SPEED_WINDOW_MS = 5000;
/** Below this span the estimate is noise: no speed yet. */
const MIN_SPAN_MS = 400;

export class SpeedMeter {
  private samples: Array<{ t: number; bytes: number }> = [];

  constructor(private readonly windowMs = SPEED_WINDOW_MS) {}

  reset(t: number, bytes = 0): void {
    this.samples = [{ t, bytes }];
  }

  /** Record that `bytes` (a running total) were sent by time `t` (ms); returns bytes/second. */
  add(t: number, bytes: number): number {
    this.samples.push({ t, bytes });
    // Keep one sample at or before the window's start, so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
    return this.rate();
  }

  /** Bytes per second over the window, 0 while unknown. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return 0;
    const span = last.t - first.t;
    if (span < MIN_SPAN_MS) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / span);
  }
}

/** Seconds until `remaining` bytes are sent at `rate` bytes/s; NaN while the rate is unknown. */
export function timeLeft(remaining: number, rate: number): number {
  return rate > 0 ? remaining / rate : NaN;
}
