// The upload queue of the home page: files wait their turn, a few upload at a time through
// PUT /api/file/{name} (uploadFile streams the Blob/File from disk: nothing is read into memory),
// or through tus for big files (resumable: pause and resume, reconnects by itself), each with its
// own progress, smoothed speed, time left, cancel and retry.
import { api } from '../api';
import { formatSize } from '../format';
import { uploadFile, type UploadedFile, type UploadEvents, type UploadHandle } from '../upload';
import { SpeedMeter, timeLeft } from './speed';

export type ItemState =
  /** Waiting for a free slot. */
  | 'queued'
  | 'uploading'
  /** A resumable upload stopped by the user; the server keeps what it has. */
  | 'paused'
  | 'done'
  | 'failed'
  | 'cancelled'
  /** Never sent: bigger than the instance allows. */
  | 'refused'
  /** Done, then deleted with its delete key. */
  | 'deleted';

export const STATE_LABEL: Record<ItemState, string> = {
  queued: 'Queued',
  uploading: 'Uploading',
  paused: 'Paused',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  refused: 'Too large',
  deleted: 'Deleted',
};

let nextKey = 1;

export class UploadItem<R = UploadedFile> {
  readonly key = nextKey++;
  readonly name: string;
  readonly size: number;
  /** The File (a handle on the disk, not its bytes) or a small Blob of pasted text. */
  readonly blob: Blob;
  state: ItemState = $state('queued');
  sent = $state(0);
  /** Bytes per second, smoothed; 0 while unknown. */
  speed = $state(0);
  error = $state('');
  /** Continued from this byte of an earlier, unfinished upload of the same file; null if not. */
  resumedFrom: number | null = $state(null);
  /** The connection dropped; a retry is scheduled. */
  reconnecting = $state(false);
  /** The running upload can be paused (tus). */
  pausable = $state(false);
  result: R | null = $state.raw(null);
  handle: UploadHandle<R> | null = null;
  readonly meter = new SpeedMeter();

  constructor(blob: Blob, name: string) {
    this.blob = blob;
    this.name = name;
    this.size = blob.size;
  }

  /** 0..100, whole percent. */
  get percent(): number {
    if (this.state === 'done' || this.state === 'deleted') return 100;
    return this.size > 0 ? Math.min(100, Math.floor((this.sent / this.size) * 100)) : 0;
  }

  /** Seconds left at the current speed, NaN while unknown. */
  get secondsLeft(): number {
    return timeLeft(this.size - this.sent, this.speed);
  }

  get canCancel(): boolean {
    return this.state === 'queued' || this.state === 'uploading' || this.state === 'paused';
  }

  get canPause(): boolean {
    return this.state === 'uploading' && this.pausable;
  }

  get canRetry(): boolean {
    return this.state === 'failed' || this.state === 'cancelled';
  }
}

export interface QueueOptions<R = UploadedFile> {
  /** Uploads at a time. */
  concurrency?: number;
  /** Largest file the instance accepts, in bytes. */
  maxFileSize: number;
  /** Told of every finished upload (history, announcements). */
  onChange?: (item: UploadItem<R>) => void;
  /** Where an item goes (default: PUT /api/file/{name}). */
  upload?: (
    blob: Blob,
    name: string,
    onProgress: (sent: number, total: number) => void,
    events?: UploadEvents,
  ) => UploadHandle<R>;
}

export class UploadQueue<R = UploadedFile> {
  items: UploadItem<R>[] = $state([]);
  private readonly concurrency: number;
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly opts: QueueOptions<R>) {
    this.concurrency = opts.concurrency ?? 3;
  }

  get done(): UploadItem<R>[] {
    return this.items.filter((i) => i.state === 'done' && i.result);
  }

  get active(): number {
    return this.items.filter((i) => i.state === 'uploading').length;
  }

  get pending(): number {
    return this.items.filter((i) => i.state === 'uploading' || i.state === 'queued').length;
  }

  /** Queue files (or a Blob with a name); too-large ones are refused at once. */
  add(files: Iterable<File> | Array<{ blob: Blob; name: string }>): UploadItem<R>[] {
    const added: UploadItem<R>[] = [];
    for (const f of files) {
      const item =
        f instanceof File
          ? new UploadItem<R>(f, f.name || 'file')
          : new UploadItem<R>(f.blob, f.name);
      if (item.size > this.opts.maxFileSize) {
        item.state = 'refused';
        item.error = `${formatSize(item.size)} is more than this instance accepts (${formatSize(
          this.opts.maxFileSize,
        )} per file).`;
      }
      this.items.push(item);
      added.push(item);
    }
    this.pump();
    return added;
  }

  cancel(item: UploadItem<R>): void {
    if (!item.canCancel) return;
    const handle = item.handle;
    item.handle = null; // the abort's rejection below is then ignored
    item.state = 'cancelled';
    item.speed = 0;
    item.reconnecting = false;
    handle?.abort();
    this.pump();
  }

  /** Stop a resumable upload for now; its slot goes to the next file. */
  pause(item: UploadItem<R>): void {
    if (!item.canPause || !item.handle?.pause) return;
    item.state = 'paused';
    item.speed = 0;
    item.reconnecting = false;
    item.handle.pause();
    this.pump();
  }

  /** Go on with a paused upload as soon as a slot is free. */
  resume(item: UploadItem<R>): void {
    if (item.state !== 'paused') return;
    item.state = 'queued';
    this.pump();
  }

  retry(item: UploadItem<R>): void {
    if (!item.canRetry) return;
    item.state = 'queued';
    item.error = '';
    item.sent = 0;
    item.speed = 0;
    item.resumedFrom = null;
    this.pump();
  }

  /** Forget rows that are over (not queued, not uploading). */
  clearFinished(): void {
    this.items = this.items.filter((i) => i.canCancel);
  }

  /** Delete an anonymous upload with its delete key. */
  async deleteUploaded(item: UploadItem<R>): Promise<void> {
    const r = item.result as UploadedFile | null;
    if (!r?.deleteKey || item.state !== 'done') return;
    await api(`/file/${encodeURIComponent(r.id)}?key=${encodeURIComponent(r.deleteKey)}`, {
      method: 'DELETE',
    });
    item.state = 'deleted';
    this.opts.onChange?.(item);
  }

  /** Stop everything (the page goes away); resumable uploads stay resumable. */
  destroy(): void {
    for (const item of this.items) {
      if (item.handle?.pause && item.state !== 'queued') item.handle.pause();
      else if (item.canCancel) this.cancel(item);
    }
    this.stopTicker();
  }

  private pump(): void {
    let active = this.active;
    for (const item of this.items) {
      if (active >= this.concurrency) break;
      if (item.state === 'queued') {
        if (item.handle?.resume) this.continue(item, item.handle.resume);
        else this.start(item);
        active++;
      }
    }
    if (active > 0) this.startTicker();
    else this.stopTicker();
  }

  /** A paused upload goes on. */
  private continue(item: UploadItem<R>, resume: () => void): void {
    item.state = 'uploading';
    item.speed = 0;
    item.meter.reset(performance.now(), item.sent);
    resume();
  }

  private start(item: UploadItem<R>): void {
    item.state = 'uploading';
    item.sent = 0;
    item.speed = 0;
    item.error = '';
    item.reconnecting = false;
    item.meter.reset(performance.now());
    const put =
      this.opts.upload ?? (uploadFile as unknown as NonNullable<QueueOptions<R>['upload']>);
    const handle: UploadHandle<R> = put(
      item.blob,
      item.name,
      (sent) => {
        if (item.handle !== handle || item.state !== 'uploading') return;
        item.sent = Math.min(sent, item.size);
        item.speed = item.meter.add(performance.now(), item.sent);
      },
      {
        onResumeFrom: (offset) => {
          if (item.handle !== handle) return;
          item.resumedFrom = offset;
          item.sent = Math.min(offset, item.size);
          item.meter.reset(performance.now(), item.sent);
        },
        onReconnecting: (on) => {
          if (item.handle === handle) item.reconnecting = on && item.state === 'uploading';
        },
      },
    );
    item.handle = handle;
    item.pausable = typeof handle.pause === 'function';
    handle.promise.then(
      (result) => {
        if (item.handle !== handle) return;
        item.handle = null;
        item.result = result;
        item.sent = item.size;
        item.speed = 0;
        item.reconnecting = false;
        item.state = 'done';
        this.opts.onChange?.(item);
        this.pump();
      },
      (err: unknown) => {
        if (item.handle !== handle) return; // cancelled: already handled
        item.handle = null;
        item.state = 'failed';
        item.speed = 0;
        item.reconnecting = false;
        item.error = err instanceof Error ? err.message : String(err);
        this.opts.onChange?.(item);
        this.pump();
      },
    );
  }

  /** While uploads run, a stalled one's speed decays (no progress event comes to update it). */
  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      const now = performance.now();
      for (const item of this.items) {
        if (item.state === 'uploading') item.speed = item.meter.add(now, item.sent);
      }
    }, 1000);
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }
}
