import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp, { type SharpOptions } from 'sharp';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { MediaToolkit } from '../src/core/media-ports.js';
import type { FileRecord } from '../src/core/records.js';
import { loadMediaToolkit } from '../src/media/index.js';
import { findProgram } from '../src/media/process.js';
import { startServer, storedLocations, tempDir, type TestServer } from './helpers.js';
import { pdfFile } from './pdf.js';

// ffmpeg and pdftoppm are optional at run time: their tests are skipped, visibly, when the
// program is missing, except under CI, which installs them and must run everything.
const CI = process.env.CI === 'true';
function requires(program: string): boolean {
  if (findProgram(program)) return true;
  if (CI) return true; // run, and fail: CI must have it
  console.warn(
    `media tests: ${program} not found, its tests are skipped (apt-get install -y ffmpeg poppler-utils)`,
  );
  return false;
}
const HAS_FFMPEG = requires('ffmpeg') && requires('ffprobe');
const HAS_PDFTOPPM = requires('pdftoppm');
const withFfmpeg = it.skipIf(!HAS_FFMPEG);
const withPdftoppm = it.skipIf(!HAS_PDFTOPPM);

interface Info {
  id: string;
  mime_type: string;
  hash_sha256: string;
  deleteKey?: string;
}

// -----------------------------------------------------------------------------------------------
// fixtures, generated here

const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } });

/** Three 32x32 frames stacked: an animation. */
function frames(): { raw: Buffer; opts: SharpOptions } {
  const raw = Buffer.alloc(32 * 96 * 4);
  for (let i = 0; i < raw.length; i += 4) {
    const f = Math.floor(i / (32 * 32 * 4));
    raw[i + f] = 255;
    raw[i + 3] = 255;
  }
  return { raw, opts: { raw: { width: 32, height: 96, channels: 4, pageHeight: 32 } } };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A well-formed PNG header claiming width × height (8-bit grey) over a few bytes of data. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF, 200x100 points, written by hand (two filled rectangles). */
function minimalPdf(): Buffer {
  const content = '1 0 0 rg 20 20 160 60 re f 0 0 1 rg 50 30 40 40 re f';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  return pdfFile(objects);
}

function zipOf(name: string, content: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from(content), name);
    z.end();
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
}

async function pngSize(buf: Buffer): Promise<[number, number, string]> {
  const m = await sharp(buf).metadata();
  return [m.width, m.height, m.format];
}

// -----------------------------------------------------------------------------------------------

describe('media', () => {
  let s: TestServer;
  const fx: Record<string, Buffer> = {};
  const up: Record<string, Info> = {};

  const upload = async (name: string, body: Buffer | string): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    expect(r.status).toBe(201);
    return (await r.json()) as Info;
  };
  const thumb = (id: string, query = '', headers: Record<string, string> = {}) =>
    fetch(`${s.url}/api/file/${id}/thumbnail${query}`, { headers });
  const record = (id: string): Promise<FileRecord> => s.app.runtime.core.files.get(id);
  const media = () => s.app.runtime.core.media;
  const derivedRows = (blobKey: string) =>
    s.app.runtime.db
      .selectFrom('derived_images')
      .selectAll()
      .where('blob_key', '=', blobKey)
      .execute();

  beforeAll(async () => {
    fx.png = await solid(640, 320, '#c03030').png().toBuffer();
    fx.small = await solid(20, 10, '#3030c0').png().toBuffer();
    // 200x100 stored, EXIF orientation 6 (rotate 90°): displayed 100x200.
    fx.jpeg = await solid(200, 100, '#30c030')
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif({ IFD2: { DateTimeOriginal: '2021:03:04 05:06:07' } })
      .toBuffer();
    const anim = frames();
    fx.gifAnimated = await sharp(anim.raw, anim.opts)
      .gif({ delay: [100, 100, 100] })
      .toBuffer();
    fx.gifStill = await solid(48, 24, '#808000').gif().toBuffer();
    fx.webp = await solid(300, 200, '#008080').webp().toBuffer();
    fx.webpAnimated = await sharp(anim.raw, anim.opts).webp().toBuffer();
    if (sharp.format.heif.output.buffer)
      fx.avif = await solid(120, 60, '#800080').avif().toBuffer();
    fx.pdf = minimalPdf();
    fx.text = Buffer.from('just some text\n'.repeat(20));
    fx.zip = await zipOf('inside.txt', 'hello');
    fx.bomb = bombPng(100_000, 100_000);
    fx.corrupt = Buffer.concat([fx.png.subarray(0, 60), Buffer.alloc(2000, 0x5a)]);
    if (HAS_FFMPEG) {
      const dir = await tempDir('stowage-media-fx-');
      const mp4 = path.join(dir, 'clip.mp4');
      const mp3 = path.join(dir, 'tone.mp3');
      ffmpeg([
        ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440'],
        ...['-t', '2', '-pix_fmt', 'yuv420p', '-shortest', mp4],
      ]);
      ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1', mp3]);
      fx.mp4 = await fs.readFile(mp4);
      fx.mp3 = await fs.readFile(mp3);
      await fs.rm(dir, { recursive: true, force: true });
    }

    s = await startServer();
    const names: Record<string, string> = {
      png: 'red.png',
      small: 'small.png',
      jpeg: 'photo.jpg',
      gifAnimated: 'anim.gif',
      gifStill: 'still.gif',
      webp: 'picture.webp',
      webpAnimated: 'anim.webp',
      avif: 'picture.avif',
      pdf: 'doc.pdf',
      text: 'notes.txt',
      zip: 'bundle.zip',
      bomb: 'bomb.png',
      corrupt: 'broken.png',
      mp4: 'clip.mp4',
      mp3: 'tone.mp3',
    };
    for (const [k, body] of Object.entries(fx)) up[k] = await upload(names[k]!, body);
    await media().idle();
  });
  afterAll(() => s?.close());

  describe('type detection', () => {
    it('from the magic bytes, then the name, then text', () => {
      expect(up.png!.mime_type).toBe('image/png');
      expect(up.jpeg!.mime_type).toBe('image/jpeg');
      expect(up.gifAnimated!.mime_type).toBe('image/gif');
      expect(up.webp!.mime_type).toBe('image/webp');
      if (up.avif) expect(up.avif.mime_type).toBe('image/avif');
      expect(up.pdf!.mime_type).toBe('application/pdf');
      expect(up.text!.mime_type).toBe('text/plain; charset=utf-8');
      expect(up.zip!.mime_type).toBe('application/zip');
      if (HAS_FFMPEG) {
        expect(up.mp4!.mime_type).toBe('video/mp4');
        expect(up.mp3!.mime_type).toBe('audio/mpeg');
      }
    });

    it('content wins over a misleading name; unknown bytes are application/octet-stream', async () => {
      expect((await upload('really-a-png.txt', fx.png!)).mime_type).toBe('image/png');
      expect((await upload('blob.bin', Buffer.from([0, 1, 2, 3, 255, 254]))).mime_type).toBe(
        'application/octet-stream',
      );
      // A zip named .docx is a document (the extension refines a generic container).
      expect((await upload('letter.docx', fx.zip!)).mime_type).toBe(
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      );
    });
  });

  describe('metadata, extracted in the background', () => {
    it('images: size as displayed, animation, EXIF date', async () => {
      const m = async (k: string) => media().metadata(await record(up[k]!.id));
      expect(await m('png')).toMatchObject({
        kind: 'image',
        status: 'done',
        width: 640,
        height: 320,
        animated: false,
        takenAt: null,
      });
      expect(await m('jpeg')).toMatchObject({
        width: 100,
        height: 200,
        takenAt: Date.UTC(2021, 2, 4, 5, 6, 7),
      });
      expect(await m('gifAnimated')).toMatchObject({ width: 32, height: 32, animated: true });
      expect(await m('gifStill')).toMatchObject({ width: 48, height: 24, animated: false });
      expect(await m('webp')).toMatchObject({ width: 300, height: 200, animated: false });
      expect(await m('webpAnimated')).toMatchObject({ animated: true });
      if (up.avif) expect(await m('avif')).toMatchObject({ width: 120, height: 60 });
    });

    it('is stored once per content, in the media table', async () => {
      const rows = await s.app.runtime.db
        .selectFrom('media')
        .selectAll()
        .where('blob_key', '=', up.png!.hash_sha256)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'done', kind: 'image' });
    });

    withFfmpeg('video and audio: duration and size (ffprobe)', async () => {
      const v = await media().metadata(await record(up.mp4!.id));
      expect(v).toMatchObject({ kind: 'video', status: 'done', width: 320, height: 240 });
      expect(v.durationMs).toBeGreaterThanOrEqual(1900);
      expect(v.durationMs).toBeLessThanOrEqual(2200);
      const a = await media().metadata(await record(up.mp3!.id));
      expect(a).toMatchObject({ kind: 'audio', status: 'done', width: null, height: null });
      expect(a.durationMs).toBeGreaterThanOrEqual(900);
      expect(a.durationMs).toBeLessThanOrEqual(1200);
    });

    it('nothing to extract from text, zip or PDF', async () => {
      for (const k of ['text', 'zip', 'pdf']) {
        expect((await media().metadata(await record(up[k]!.id))).status).toBe('none');
      }
    });

    it('a file that fails to decode is recorded as failed, and still downloads', async () => {
      const m = await media().metadata(await record(up.corrupt!.id));
      expect(m.status).toBe('failed');
      expect(m.error).toBeTruthy();
      const r = await fetch(`${s.url}/api/file/${up.corrupt!.id}`);
      expect(r.status).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(fx.corrupt!)).toBe(true);
      const t = await thumb(up.corrupt!.id);
      expect(t.status).toBe(200);
      expect(t.headers.get('etag')).toMatch(/^"i1-image-/);
      await t.arrayBuffer();
    });
  });

  describe('GET /api/file/{id}/thumbnail', () => {
    it('default 256x256: a PNG within the box, aspect kept, with cache headers', async () => {
      const r = await thumb(up.png!.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/png');
      expect(r.headers.get('cache-control')).toMatch(/public.*max-age=31536000/);
      expect(r.headers.get('etag')).toBe(`"t1-${up.png!.hash_sha256}-256x256"`);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await pngSize(Buffer.from(await r.arrayBuffer()))).toEqual([256, 128, 'png']);
    });

    it.each([
      ['?width=64&height=64', 64, 32],
      ['?width=16&height=16', 16, 8],
      ['?width=128', 128, 64],
      ['?height=64', 128, 64],
      ['?width=256&height=16', 32, 16],
      ['?width=48&height=240', 48, 24],
      ['?width=&height=', 256, 128],
    ])('%s -> %ix%i', async (q, w, h) => {
      const r = await thumb(up.png!.id, q);
      expect(r.status).toBe(200);
      expect(await pngSize(Buffer.from(await r.arrayBuffer()))).toEqual([w, h, 'png']);
    });

    it.each([
      '?width=0',
      '?width=8',
      '?width=17',
      '?width=100',
      '?height=272',
      '?width=512&height=512',
      '?width=-16',
      '?width=abc',
      '?width=64.0',
      '?width=1e2',
      '?width=%2064',
      '?width=64&width=32',
    ])('%s -> 400 invalid_thumbnail_size', async (q) => {
      const r = await thumb(up.png!.id, q);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ success: false, value: 'invalid_thumbnail_size' });
    });

    it('unknown file -> 404 not_found', async () => {
      const r = await thumb('Nope1234');
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
    });

    it('never enlarges a small image', async () => {
      const r = await thumb(up.small!.id);
      expect(await pngSize(Buffer.from(await r.arrayBuffer()))).toEqual([20, 10, 'png']);
    });

    it('follows the EXIF orientation', async () => {
      const r = await thumb(up.jpeg!.id, '?width=128&height=128');
      expect(await pngSize(Buffer.from(await r.arrayBuffer()))).toEqual([64, 128, 'png']);
    });

    it('every image format: GIF (animated or not), WebP, AVIF', async () => {
      expect(
        await pngSize(Buffer.from(await (await thumb(up.gifAnimated!.id)).arrayBuffer())),
      ).toEqual([32, 32, 'png']);
      const first = await sharp(
        Buffer.from(await (await thumb(up.gifAnimated!.id, '?width=32&height=32')).arrayBuffer()),
      )
        .raw()
        .toBuffer();
      expect([first[0], first[1], first[2]]).toEqual([255, 0, 0]); // the first frame (red)
      expect(
        await pngSize(Buffer.from(await (await thumb(up.gifStill!.id)).arrayBuffer())),
      ).toEqual([48, 24, 'png']);
      expect(
        await pngSize(
          Buffer.from(await (await thumb(up.webp!.id, '?width=64&height=64')).arrayBuffer()),
        ),
      ).toEqual([64, 43, 'png']);
      if (up.avif) {
        expect(
          await pngSize(
            Buffer.from(await (await thumb(up.avif.id, '?width=64&height=64')).arrayBuffer()),
          ),
        ).toEqual([64, 32, 'png']);
      }
    });

    withFfmpeg('a video gets a frame (ffmpeg)', async () => {
      const r = await thumb(up.mp4!.id, '?width=128&height=128');
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).toMatch(/^"t1-/);
      expect(await pngSize(Buffer.from(await r.arrayBuffer()))).toEqual([128, 96, 'png']);
    });

    withPdftoppm('a PDF gets its first page (pdftoppm)', async () => {
      const r = await thumb(up.pdf!.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).toMatch(/^"t1-/);
      const png = Buffer.from(await r.arrayBuffer());
      expect(await pngSize(png)).toEqual([256, 128, 'png']);
      // the red rectangle is drawn in the middle of the page
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      const mid = (64 * info.width + 40) * info.channels;
      expect([data[mid], data[mid + 1], data[mid + 2]]).toEqual([255, 0, 0]);
    });

    it('no thumbnail possible: an icon of the exact size, per type', async () => {
      const icons = new Map<string, Buffer>();
      const kinds = HAS_FFMPEG ? ['text', 'zip', 'mp3'] : ['text', 'zip'];
      for (const k of kinds) {
        const r = await thumb(up[k]!.id, '?width=48&height=32');
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('image/png');
        expect(r.headers.get('etag')).toMatch(/^"i1-/);
        expect(r.headers.get('cache-control')).toBe('public, max-age=3600');
        const png = Buffer.from(await r.arrayBuffer());
        expect(await pngSize(png)).toEqual([48, 32, 'png']);
        icons.set(k, png);
      }
      expect(icons.get('text')!.equals(icons.get('zip')!)).toBe(false);
      const big = await thumb(up.text!.id);
      expect(await pngSize(Buffer.from(await big.arrayBuffer()))).toEqual([256, 256, 'png']);
    });

    it('If-None-Match -> 304; HEAD has the headers without a body', async () => {
      const first = await thumb(up.png!.id, '?width=32&height=32');
      const etag = first.headers.get('etag')!;
      await first.arrayBuffer();
      const again = await thumb(up.png!.id, '?width=32&height=32', { 'If-None-Match': etag });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
      const icon = await thumb(up.text!.id, '?width=32&height=32');
      const iconTag = icon.headers.get('etag')!;
      await icon.arrayBuffer();
      expect(
        (await thumb(up.text!.id, '?width=32&height=32', { 'If-None-Match': iconTag })).status,
      ).toBe(304);
      const head = await fetch(`${s.url}/api/file/${up.png!.id}/thumbnail`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('image/png');
    });

    it('is generated once per size and kept in the blob store', async () => {
      const key = up.webp!.hash_sha256;
      const a = Buffer.from(await (await thumb(up.webp!.id, '?width=96&height=96')).arrayBuffer());
      await media().idle();
      const b = Buffer.from(await (await thumb(up.webp!.id, '?width=96&height=96')).arrayBuffer());
      expect(a.equals(b)).toBe(true);
      const rows = (await derivedRows(key)).filter((r) => r.variant === 'thumb96x96.png');
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.size)).toBe(a.length);
      expect(await storedLocations(s)).toContain(rows[0]!.location);
      // The same content under another id shares it.
      const copy = await upload('copy.webp', fx.webp!);
      const c = Buffer.from(await (await thumb(copy.id, '?width=96&height=96')).arrayBuffer());
      expect(c.equals(a)).toBe(true);
      await media().idle();
      expect((await derivedRows(key)).filter((r) => r.variant === 'thumb96x96.png')).toHaveLength(
        1,
      );
    });

    it('concurrent requests for one cold thumbnail share one rendering', async () => {
      const f = await upload('fresh.png', await solid(300, 300, '#123456').png().toBuffer());
      const bodies = await Promise.all(
        Array.from({ length: 8 }, async () =>
          Buffer.from(await (await thumb(f.id, '?width=80&height=80')).arrayBuffer()),
        ),
      );
      for (const b of bodies) expect(b.equals(bodies[0]!)).toBe(true);
      await media().idle();
      expect((await derivedRows(f.hash_sha256)).map((r) => r.variant)).toEqual(['thumb80x80.png']);
    });
  });

  describe('derived images for Chevereto (core API)', () => {
    it('thumb: a 160 px square JPEG; medium: 500 px wide when the original is wider', async () => {
      const file = await record(up.png!.id);
      const t = await media().derived(file, 'thumb');
      expect(t).toMatchObject({ mimeType: 'image/jpeg', width: 160, height: 160 });
      expect(await pngSize(t!.data)).toEqual([160, 160, 'jpeg']);
      const m = await media().derived(file, 'medium');
      expect(m).toMatchObject({ width: 500, height: 250 });
      expect(await pngSize(m!.data)).toEqual([500, 250, 'jpeg']);
      expect(await media().derived(file, 'frame')).toBeNull();
      // not wider than 500: no medium
      expect(await media().derived(await record(up.webp!.id), 'medium')).toBeNull();
      // not an image
      expect(await media().derived(await record(up.text!.id), 'thumb')).toBeNull();
      await media().idle();
      const variants = (await derivedRows(up.png!.hash_sha256)).map((r) => r.variant);
      expect(variants).toEqual(expect.arrayContaining(['chv-thumb160.jpg', 'chv-medium500.jpg']));
    });

    withFfmpeg('video: frame, and thumb made from it', async () => {
      const file = await record(up.mp4!.id);
      const frame = await media().derived(file, 'frame');
      expect(frame).toMatchObject({ mimeType: 'image/jpeg', width: 320, height: 240 });
      expect(await pngSize(frame!.data)).toEqual([320, 240, 'jpeg']);
      expect(await media().derived(file, 'thumb')).toMatchObject({ width: 160, height: 160 });
      expect(await media().derived(file, 'medium')).toBeNull(); // 320 wide
    });
  });

  describe('limits', () => {
    it('a decompression bomb (100000x100000 PNG) is refused while the server keeps answering', async () => {
      const file = await record(up.bomb!.id);
      const started = Date.now();
      const [t, health] = await Promise.all([
        thumb(up.bomb!.id),
        fetch(`${s.url}/api/health`).then((r) => r.status),
      ]);
      expect(health).toBe(200);
      expect(t.status).toBe(200);
      expect(t.headers.get('etag')).toMatch(/^"i1-image-256x256"$/);
      await t.arrayBuffer();
      expect(Date.now() - started).toBeLessThan(5000);
      const m = await media().metadata(file);
      expect(m.status).toBe('failed');
      expect(m.error).toMatch(/pixel/i);
      expect(await media().derived(file, 'thumb')).toBeNull();
      const r = await fetch(`${s.url}/api/file/${up.bomb!.id}`);
      expect(Buffer.from(await r.arrayBuffer()).equals(fx.bomb!)).toBe(true);
    });
  });

  describe('deleting', () => {
    it('thumbnails, derived images and metadata disappear with the last file of their content', async () => {
      const body = await solid(700, 300, '#654321').png().toBuffer();
      const a = await upload('a.png', body);
      const b = await upload('b.png', body);
      await thumb(a.id).then((r) => r.arrayBuffer());
      await thumb(a.id, '?width=32&height=32').then((r) => r.arrayBuffer());
      await media().derived(await record(a.id), 'thumb');
      await media().idle();
      const rows = await derivedRows(a.hash_sha256);
      expect(rows).toHaveLength(3);
      const stored = await storedLocations(s);
      for (const r of rows) expect(stored).toContain(r.location);

      const del = (i: Info) =>
        fetch(`${s.url}/api/file/${i.id}?key=${i.deleteKey}`, { method: 'DELETE' });
      expect((await del(a)).status).toBe(200);
      await media().idle();
      // b still holds the content: everything stays
      expect(await derivedRows(a.hash_sha256)).toHaveLength(3);
      expect((await thumb(b.id)).status).toBe(200);

      expect((await del(b)).status).toBe(200);
      await media().idle();
      expect(await derivedRows(a.hash_sha256)).toHaveLength(0);
      const media_ = await s.app.runtime.db
        .selectFrom('media')
        .select('blob_key')
        .where('blob_key', '=', a.hash_sha256)
        .execute();
      expect(media_).toHaveLength(0);
      const after = await storedLocations(s);
      for (const r of rows) expect(after).not.toContain(r.location);
      expect((await thumb(b.id)).status).toBe(404);
    });
  });

  it('the media tools found are reported by the core (startup log), not by GET /api/health', async () => {
    const caps = await s.app.runtime.core.media.ready();
    expect(caps.images!.formats).toEqual(expect.arrayContaining(['jpeg', 'png', 'webp', 'gif']));
    if (HAS_FFMPEG) expect(caps.ffmpeg).toMatch(/^ffmpeg /);
    if (HAS_PDFTOPPM) expect(caps.pdftoppm).toMatch(/^pdftoppm /);
    // Anonymous callers learn no tool versions.
    const r = await fetch(`${s.url}/api/health`);
    expect(await r.text()).toBe('{"status":"ok"}');
  });

  it.runIf(CI)('CI has ffmpeg, ffprobe and pdftoppm', () => {
    expect(findProgram('ffmpeg')).not.toBeNull();
    expect(findProgram('ffprobe')).not.toBeNull();
    expect(findProgram('pdftoppm')).not.toBeNull();
  });
});

describe('media: configuration and tools', () => {
  it('limits and sizes come from the configuration', async () => {
    const s = await startServer({ mediaMaxPixels: 10_000, cheveretoThumbSize: 96 });
    try {
      const put = async (name: string, body: Buffer) =>
        (await (
          await fetch(`${s.url}/api/file/${name}`, { method: 'PUT', body: new Uint8Array(body) })
        ).json()) as Info;
      const big = await put('big.png', await solid(200, 200, '#ff0000').png().toBuffer());
      const ok = await put('ok.png', await solid(80, 40, '#00ff00').png().toBuffer());
      const core = s.app.runtime.core;
      expect((await core.media.metadata(await core.files.get(big.id))).status).toBe('failed');
      const t = await fetch(`${s.url}/api/file/${big.id}/thumbnail`);
      expect(t.headers.get('etag')).toMatch(/^"i1-image-/);
      await t.arrayBuffer();
      const d = await core.media.derived(await core.files.get(ok.id), 'thumb');
      expect(d).toMatchObject({ width: 96, height: 96 });
    } finally {
      await s.close();
    }
  });

  it('missing programs only turn their features off; the upload never waits for extraction', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let probing = 0;
    const tools = async (): Promise<MediaToolkit> => {
      const real = await loadMediaToolkit({ disable: ['ffmpeg', 'ffprobe', 'pdftoppm'] });
      return {
        ...real,
        image: {
          canDecode: (t) => real.image.canDecode(t),
          render: (i, spec, l) => real.image.render(i, spec, l),
          probe: async (i, l) => {
            probing++;
            await gate;
            return real.image.probe(i, l);
          },
        },
      };
    };
    const dir = await tempDir();
    const app = await buildApp(
      loadConfig({ host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'silent' }, {}),
      { mediaTools: tools },
    );
    const url = await app.listen();
    try {
      expect(await app.runtime.core.media.ready()).toMatchObject({
        ffmpeg: null,
        ffprobe: null,
        pdftoppm: null,
      });
      const r = await fetch(`${url}/api/file/x.png`, {
        method: 'PUT',
        body: new Uint8Array(await solid(64, 64, '#0000ff').png().toBuffer()),
      });
      expect(r.status).toBe(201); // while the probe is still blocked
      const info = (await r.json()) as Info;
      await new Promise((res) => setTimeout(res, 50));
      expect(probing).toBe(1);
      release();
      await app.runtime.core.media.idle();
      const file = await app.runtime.core.files.get(info.id);
      expect(await app.runtime.core.media.metadata(file)).toMatchObject({ width: 64, height: 64 });
      // no pdftoppm: a PDF gets the pdf icon
      const pdf = (await (
        await fetch(`${url}/api/file/doc.pdf`, {
          method: 'PUT',
          body: new Uint8Array(minimalPdf()),
        })
      ).json()) as Info;
      const t = await fetch(`${url}/api/file/${pdf.id}/thumbnail`);
      expect(t.headers.get('etag')).toMatch(/^"i1-pdf-256x256"$/);
      await t.arrayBuffer();
    } finally {
      release();
      await app.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
