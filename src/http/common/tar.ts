import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack, type Pack } from 'tar-stream';
import { contentDisposition } from './content-disposition.js';

export interface TarEntry {
  name: string;
  size: number;
  mtime: Date;
  /** Opened only when the archive reaches this entry. */
  open: () => Promise<Readable>;
}

/** The writable side of one tar-stream entry (a streamx Writable). */
type Sink = ReturnType<Pack['entry']>;

/** Resolve on `event`; reject if the sink closes (the archive was abandoned) or fails first. */
function until(sink: Sink, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      sink.off(event, onEvent);
      sink.off('close', onClose);
      sink.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = () => done();
    const onClose = () => done(new Error('tar entry closed'));
    const onError = (err: Error) => done(err);
    sink.on(event, onEvent);
    sink.on('close', onClose);
    sink.on('error', onError);
  });
}

/** Copy exactly `e.size` bytes of the entry's stream into its sink, backpressure respected. */
async function copyEntry(archive: Pack, e: TarEntry): Promise<void> {
  const source = await e.open();
  try {
    // Long and non-ASCII names go into a PAX header; sizes of 8 GiB and more are base-256.
    const sink = archive.entry({
      name: e.name.replace(/[/\\]/g, '_'),
      size: e.size,
      mtime: e.mtime,
      mode: 0o644,
      type: 'file',
    });
    sink.on('error', () => {}); // reported through `until`, and by the archive to its reader
    let sent = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const room = e.size - sent;
      if (room <= 0) break;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      sent += part.length;
      if (!sink.write(part)) await until(sink, 'drain');
    }
    if (sent !== e.size) throw new Error(`entry ${e.name} changed size`);
    const finished = until(sink, 'finish');
    sink.end(undefined);
    await finished;
  } finally {
    source.destroy();
  }
}

/** The tar archive of these entries, one entry (one open file) at a time, never buffered whole. */
function tarStream(entries: readonly TarEntry[]): Pack {
  const archive = pack();
  // A failure reaches the reader as the end of its iteration; no 'error' goes unheard before that.
  archive.on('error', () => {});
  void (async () => {
    try {
      for (const e of entries) await copyEntry(archive, e);
      archive.finalize();
    } catch (err) {
      archive.destroy(err as Error);
    }
  })();
  return archive;
}

/**
 * Stream a gzip-compressed tar of these entries as the response (FileBin's multipaste download),
 * one file open at a time, backpressure respected.
 */
export async function sendTarGz(
  _req: IncomingMessage,
  res: ServerResponse,
  archiveName: string,
  entries: readonly TarEntry[],
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'application/x-gzip',
    'Content-Disposition': contentDisposition('inline', archiveName),
    'X-Content-Type-Options': 'nosniff',
  });
  // Readable.from ends the archive (and with it the entry being copied) if the client goes away.
  await pipeline(Readable.from(tarStream(entries)), createGzip(), res);
}
