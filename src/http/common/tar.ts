import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { contentDisposition } from './content-disposition.js';

export interface TarEntry {
  name: string;
  size: number;
  mtime: Date;
  /** Opened only when the archive reaches this entry. */
  open: () => Promise<Readable>;
}

/** A ustar header block; names are cut to 100 bytes (the archive is for downloading, not backup). */
function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.from(e.name.replace(/[/\\]/g, '_'), 'utf8').subarray(0, 100);
  name.copy(h, 0);
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  if (e.size < 8 ** 11) {
    h.write(octal(e.size, 12), 124, 'ascii');
  } else {
    // GNU base-256 size for entries of 8 GiB and more.
    h[124] = 0x80;
    let n = BigInt(e.size);
    for (let i = 135; i > 124; i--, n >>= 8n) h[i] = Number(n & 0xffn);
  }
  h.write(octal(Math.floor(e.mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

async function* tarStream(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield header(e);
    let sent = 0;
    for await (const chunk of await e.open()) {
      const b = chunk as Buffer;
      const room = e.size - sent;
      if (room <= 0) break;
      const part = b.length > room ? b.subarray(0, room) : b;
      sent += part.length;
      yield part;
    }
    if (sent !== e.size) throw new Error(`entry ${e.name} changed size`);
    const pad = (512 - (e.size % 512)) % 512;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
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
  await pipeline(tarStream(entries), createGzip(), res);
}
