import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { CoreError } from '../../core/errors.js';

/**
 * A source held on disk until the request has been read to the end and checked (base64 bodies,
 * file parts sent before the key): memory stays bounded whatever the size. Removed by dispose().
 */
export class Spool {
  size = 0;
  private failed: unknown = null;

  private constructor(
    private readonly dir: string,
    readonly file: string,
    private readonly ws: WriteStream,
    private readonly maxBytes: number,
  ) {
    ws.on('error', (err) => (this.failed = err));
  }

  /** A new spool in a directory of its own under `parent` (created if missing). */
  static async create(maxBytes: number, parent: string): Promise<Spool> {
    await fs.mkdir(parent, { recursive: true });
    const dir = await fs.mkdtemp(path.join(parent, 'stowage-chv-'));
    const file = path.join(dir, 'source');
    return new Spool(dir, file, createWriteStream(file, { mode: 0o600 }), maxBytes);
  }

  /** Append bytes; past the size limit: file_too_large. */
  write(bytes: Buffer): void {
    if (this.failed) throw this.failed;
    this.size += bytes.length;
    if (this.size > this.maxBytes) {
      throw new CoreError('file_too_large', 'The file you tried to upload is too large', {
        max_size: this.maxBytes,
      });
    }
    this.ws.write(bytes);
  }

  needsDrain(): boolean {
    return this.ws.writableNeedDrain;
  }

  /** Wait while the disk is behind (backpressure for the request). */
  async drained(): Promise<void> {
    if (this.ws.writableNeedDrain) await once(this.ws, 'drain');
  }

  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    this.ws.end();
    if (!this.ws.writableFinished) await once(this.ws, 'finish');
  }

  async head(n = 4100): Promise<Buffer> {
    const fh = await fs.open(this.file, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  open(): Readable {
    return createReadStream(this.file);
  }

  async dispose(): Promise<void> {
    this.ws.destroy();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
