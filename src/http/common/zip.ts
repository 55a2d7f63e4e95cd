import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { contentDisposition } from './content-disposition.js';

export interface ZipEntry {
  name: string;
  size: number;
  mtime: Date;
  /** Opened only when the archive reaches this entry (one at a time). */
  open: () => Promise<Readable>;
}

/**
 * Stream a zip of these entries as the response. Entries are stored, not compressed (shared files
 * are mostly compressed already, and a stored archive's size is known up front: it goes out as
 * Content-Length, so clients show progress). One file is open at a time and backpressure is
 * respected, so memory does not grow with the archive. ZIP64 records are written as needed (yazl),
 * so entries and archives over 4 GiB work.
 */
export async function sendZip(
  req: IncomingMessage,
  res: ServerResponse,
  archiveName: string,
  entries: readonly ZipEntry[],
): Promise<void> {
  const zip = new yazl.ZipFile();
  const names = new UniqueNames();
  // The entry being read (yazl opens one at a time). An archive abandoned midway must destroy it:
  // yazl only stops reading it, and its file would stay open until a garbage collection.
  let reading: Readable | null = null;
  let abandoned = false;
  for (const e of entries) {
    zip.addReadStreamLazy(
      names.take(e.name),
      { size: e.size, mtime: e.mtime, compress: false },
      (cb) => {
        e.open().then(
          (s) => {
            if (abandoned) {
              // Handed to no one: its 'error' (a failed close) must still be heard.
              s.on('error', () => {});
              s.destroy();
              return;
            }
            reading = s;
            s.once('close', () => {
              if (reading === s) reading = null;
            });
            cb(null, s);
          },
          (err: unknown) => cb(err, undefined as unknown as Readable),
        );
      },
    );
  }
  const abandon = () => {
    abandoned = true;
    reading?.destroy();
  };
  const size = await new Promise<number>((resolve) => {
    zip.end(undefined, ((n: number) => resolve(n)) as () => void);
  });
  res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': contentDisposition('attachment', archiveName),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...(size >= 0 ? { 'Content-Length': size } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const out = zip.outputStream as Readable;
    const fail = () => {
      // Headers are out: the only honest signal left is a cut connection.
      out.unpipe(res);
      abandon();
      res.destroy();
      resolve();
    };
    zip.on('error', fail);
    out.on('error', fail);
    res.on('close', () => {
      if (!res.writableFinished) {
        out.unpipe(res);
        (out as Readable).destroy?.();
        abandon();
      }
      resolve();
    });
    out.pipe(res);
  });
}

/** Entry names that never collide: "a.txt", "a (2).txt", ... */
class UniqueNames {
  private readonly taken = new Set<string>();

  take(name: string): string {
    let candidate = name;
    const ext = path.extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) {
      candidate = `${stem} (${n})${ext}`;
    }
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}
