import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes on at no more than `bytesPerSecond` (a slowed client, STOWAGE_IP_SPEED_LIMIT):
 * chunks are cut into slices of a tenth of a second's worth, each pushed when the rate allows.
 * Backpressure holds: the next chunk is taken only after this one has gone out. A destroyed
 * stream (the client left) stops its timer.
 */
export class Throttle extends Transform {
  private readonly slice: number;
  private started = 0;
  private passed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be above 0');
    this.slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.started === 0) this.started = this.now();
    let offset = 0;
    const next = () => {
      this.timer = null;
      if (this.destroyed) return;
      if (offset >= chunk.length) return done();
      // When the bytes passed so far may have gone out at this rate.
      const due = this.started + (this.passed * 1000) / this.bytesPerSecond;
      const wait = due - this.now();
      if (wait > 0) {
        this.timer = setTimeout(next, wait);
        return;
      }
      const part = chunk.subarray(offset, offset + this.slice);
      offset += part.length;
      this.passed += part.length;
      this.push(part);
      next();
    };
    next();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    cb(err);
  }
}
