import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { IconCategory, MediaInput, MediaLimits } from '../core/media-ports.js';
import { exifTakenAt, parseExifDate } from './exif.js';
import { ffmpegFrame } from './ffmpeg.js';
import { SvgIcons } from './icons.js';
import { findProgram, runProgram } from './process.js';
import { SharpRenderer } from './sharp-renderer.js';

const limits = (over: Partial<MediaLimits> = {}): MediaLimits => ({
  maxPixels: 100_000_000,
  timeoutMs: 10_000,
  signal: new AbortController().signal,
  ...over,
});
const input = (data: Buffer, mimeType = 'image/png'): MediaInput => ({
  size: data.length,
  mimeType,
  path: null,
  bytes: data,
  open: async () => {
    throw new Error('unused');
  },
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function claimedPng(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('SharpRenderer', () => {
  const r = new SharpRenderer();

  it('decodes the common formats, never SVG', () => {
    for (const t of ['image/png', 'image/jpeg', 'image/gif', 'image/webp']) {
      expect(r.canDecode(t)).toBe(true);
    }
    expect(r.canDecode('image/svg+xml')).toBe(false);
    expect(r.canDecode('text/plain')).toBe(false);
  });

  it('refuses to decode past the pixel limit, fast', async () => {
    const started = Date.now();
    await expect(
      r.render(
        input(claimedPng(100_000, 100_000)),
        { format: 'png', width: 256, height: 256, fit: 'inside', enlarge: false },
        limits(),
      ),
    ).rejects.toThrow(/pixel limit/i);
    const small = await sharp({
      create: { width: 200, height: 200, channels: 3, background: 'red' },
    })
      .png()
      .toBuffer();
    await expect(
      r.render(
        input(small),
        { format: 'png', width: 64, height: 64, fit: 'inside', enlarge: false },
        limits({ maxPixels: 10_000 }),
      ),
    ).rejects.toThrow(/pixel limit/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('cover crops to fill, inside keeps the aspect ratio', async () => {
    const src = await sharp({
      create: { width: 400, height: 100, channels: 4, background: '#f008' },
    })
      .png()
      .toBuffer();
    const cover = await r.render(
      input(src),
      { format: 'jpeg', width: 50, height: 50, fit: 'cover', enlarge: true },
      limits(),
    );
    expect([cover.width, cover.height]).toEqual([50, 50]);
    expect((await sharp(cover.data).metadata()).format).toBe('jpeg');
    const inside = await r.render(
      input(src),
      { format: 'png', width: 64, height: 64, fit: 'inside', enlarge: false },
      limits(),
    );
    expect([inside.width, inside.height]).toEqual([64, 16]);
  });
});

describe('icons', () => {
  it('every category, at the exact size asked, square or not', async () => {
    const icons = new SvgIcons();
    const cats: IconCategory[] = [
      'image',
      'video',
      'audio',
      'text',
      'archive',
      'pdf',
      'document',
      'generic',
    ];
    const seen = new Set<string>();
    for (const c of cats) {
      for (const [w, h] of [
        [16, 16],
        [256, 256],
        [64, 32],
        [16, 256],
      ] as const) {
        const png = await icons.icon(c, w, h);
        const m = await sharp(png).metadata();
        expect([m.format, m.width, m.height], `${c} ${w}x${h}`).toEqual(['png', w, h]);
        if (w === 64 && h === 32) seen.add(png.toString('base64'));
      }
    }
    expect(seen.size).toBe(cats.length); // all different
  });
});

describe('runProgram', () => {
  it('kills a program past its time limit', async () => {
    const started = Date.now();
    await expect(runProgram('sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('kills it when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(
      runProgram('sleep', ['10'], { timeoutMs: 10_000, signal: ac.signal }),
    ).rejects.toThrow(/cancelled/);
  });

  it('reports a failure with the end of stderr, and caps the output', async () => {
    await expect(
      runProgram('sh', ['-c', 'echo oops >&2; exit 3'], { timeoutMs: 5000 }),
    ).rejects.toThrow(/exited with 3: oops/);
    await expect(
      runProgram('head', ['-c', '100000', '/dev/zero'], { timeoutMs: 5000, maxOutput: 1000 }),
    ).rejects.toThrow(/larger than 1000/);
  });
});

describe.skipIf(!findProgram('ffmpeg') && process.env.CI !== 'true')('ffmpeg frames', () => {
  it('refuses frames larger than the pixel limit', async () => {
    const { execFileSync } = await import('node:child_process');
    const video = execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=5'],
      ...['-t', '1', '-f', 'matroska', 'pipe:1'],
    ]);
    const ok = await ffmpegFrame('ffmpeg', input(video, 'video/x-matroska'), 0, limits());
    expect(ok && (await sharp(ok).metadata()).width).toBe(320);
    await expect(
      ffmpegFrame('ffmpeg', input(video, 'video/x-matroska'), 0, limits({ maxPixels: 1000 })),
    ).rejects.toThrow();
  });
});

describe('EXIF dates', () => {
  it('parses the EXIF date format, with an offset when given', () => {
    expect(parseExifDate('2021:03:04 05:06:07')).toBe(Date.UTC(2021, 2, 4, 5, 6, 7));
    expect(parseExifDate('2021:03:04 05:06:07', '+02:00')).toBe(Date.UTC(2021, 2, 4, 3, 6, 7));
    expect(parseExifDate('0000:00:00 00:00:00')).toBeNull();
    expect(parseExifDate('garbage')).toBeNull();
  });

  it('never throws on junk', () => {
    expect(exifTakenAt(undefined)).toBeNull();
    expect(exifTakenAt(Buffer.from('Exif\0\0MM\0*\0\0\0\x08\xff\xff'))).toBeNull();
    expect(exifTakenAt(Buffer.alloc(100, 0xff))).toBeNull();
  });

  it('finds DateTimeOriginal in what sharp writes', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
      .jpeg()
      .withExif({ IFD2: { DateTimeOriginal: '2019:12:31 23:59:58' } })
      .toBuffer();
    expect(exifTakenAt((await sharp(jpeg).metadata()).exif)).toBe(
      Date.UTC(2019, 11, 31, 23, 59, 58),
    );
  });
});
