import type cliProgress from 'cli-progress';
import { createRequire } from 'node:module';

/** 1536 → "1.5 KiB". */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

function humanTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  const sec = Math.round(s);
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}

/** Bytes per second over the last few seconds (a sliding window of samples). */
class Speed {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 5000) {}
  add(bytes: number, now = Date.now()): number {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > this.windowMs)
      this.samples.shift();
    const [t0, b0] = this.samples[0]!;
    return now - t0 > 0 ? ((bytes - b0) * 1000) / (now - t0) : 0;
  }
}

export interface Task {
  /** Bytes done so far (absolute, including what an earlier run did). */
  update(done: number): void;
  /** The task ended (well or not); its bar goes. */
  end(): void;
}

interface BarPayload {
  name: string;
  speed: number;
}

const barFormat: cliProgress.GenericFormatter = (_opts, params, payload: BarPayload) => {
  const width = 24;
  const frac = params.total > 0 ? Math.min(1, params.value / params.total) : 0;
  const full = Math.round(frac * width);
  const bar = '█'.repeat(full) + '░'.repeat(width - full);
  const left = payload.speed > 0 ? (params.total - params.value) / payload.speed : NaN;
  const name = payload.name.length > 28 ? '…' + payload.name.slice(-27) : payload.name.padEnd(28);
  const total = params.total > 0 ? humanBytes(params.total) : '?';
  return `${name} ${bar} ${String(Math.floor(frac * 100)).padStart(3)}% ${humanBytes(params.value)}/${total} ${humanBytes(Math.round(payload.speed))}/s ETA ${params.total > 0 ? humanTime(left) : '--'}`;
};

/**
 * Progress on stderr: bars with speed and time left on a terminal (cli-progress), or plain lines
 * elsewhere (a line at every tenth of a large transfer, at most one a second per task). Results go
 * to stdout through `result` (above the bars when both streams are the same terminal).
 */
export class Progress {
  private readonly multibar: cliProgress.MultiBar | null;
  private readonly plain: boolean;

  constructor(opts: { quiet?: boolean; tty?: boolean } = {}) {
    const tty = opts.tty ?? !!process.stderr.isTTY;
    this.plain = !opts.quiet && !tty;
    this.multibar =
      !opts.quiet && tty
        ? // Loaded only for bars (synchronously: the package is CommonJS); the server never needs it.
          new (createRequire(import.meta.url)('cli-progress') as typeof cliProgress).MultiBar({
            format: barFormat,
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
            fps: 5,
          })
        : null;
  }

  task(name: string, total: number | null, start = 0): Task {
    const speed = new Speed();
    const t0 = Date.now();
    if (this.multibar) {
      const bar = this.multibar.create(total ?? 0, start, { name, speed: 0 } satisfies BarPayload);
      return {
        update: (done) => bar.update(done, { speed: speed.add(done) }),
        end: () => {
          this.multibar?.remove(bar);
        },
      };
    }
    if (!this.plain) return { update: () => {}, end: () => {} };
    let lastStep = total ? Math.floor((start / total) * 10) : 0;
    let lastAt = t0;
    return {
      update: (done) => {
        const now = Date.now();
        const s = speed.add(done, now);
        if (now - lastAt < 1000) return;
        if (total) {
          const step = Math.floor((done / total) * 10);
          if (step <= lastStep || done >= total) return;
          lastStep = step;
          const left = s > 0 ? humanTime((total - done) / s) : '--';
          this.note(
            `${name}: ${step * 10}% (${humanBytes(done)} of ${humanBytes(total)}, ${humanBytes(Math.round(s))}/s, ${left} left)`,
          );
        } else if (now - lastAt >= 10_000) {
          this.note(`${name}: ${humanBytes(done)} (${humanBytes(Math.round(s))}/s)`);
        } else return;
        lastAt = now;
      },
      end: () => {},
    };
  }

  /** A line above the bars while they show (written at once), else on `stream`. */
  private line(stream: NodeJS.WriteStream, line: string, aboveBars: boolean): void {
    if (this.multibar?.isActive && aboveBars) {
      this.multibar.log(line + '\n');
      this.multibar.update();
    } else stream.write(line + '\n');
  }

  /** A line on stderr (above the bars on a terminal). */
  note(line: string): void {
    this.line(process.stderr, line, true);
  }

  /** A result line on stdout (above the bars when both are the same terminal). */
  result(line: string): void {
    this.line(process.stdout, line, !!process.stdout.isTTY);
  }

  stop(): void {
    this.multibar?.stop();
  }
}
