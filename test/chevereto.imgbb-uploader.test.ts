import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import imgbbUploader from 'imgbb-uploader';
import { createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Uploader = (opts: Record<string, unknown>) => Promise<Json>;
const upload = imgbbUploader as unknown as Uploader;

let s: TestServer;
let key: string;
let picture: Buffer;
let dir: string;
let images: http.Server;
let imagesUrl: string;

beforeAll(async () => {
  // URL sources reach the test's own image server on 127.0.0.1: allowed explicitly.
  s = await startServer({ urlUploads: true, urlUploadsAllow: '127.0.0.1' });
  key = await createUserWithKey(s, 'alice');
  picture = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c63' } })
    .jpeg()
    .toBuffer();
  dir = await tempDir();
  images = http.createServer((req, res) => {
    if (req.url === '/photo.jpg') {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': picture.length });
      res.end(picture);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => images?.close(r));
  await s?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** imgbb-uploader breaks on a trailing slash: the host exactly as its README says. */
const host = () => s.url;

describe('imgbb-uploader in Chevereto mode (cheveretoHost)', () => {
  it('uploads a base64 string with custom payload (title, nsfw, expiration)', async () => {
    const res = await upload({
      apiKey: key,
      cheveretoHost: host(),
      base64string: picture.toString('base64'),
      customPayload: { title: 'hello world', nsfw: '1', expiration: 'PT5M' },
    });
    expect(res.status_code).toBe(200);
    // Chevereto's image.url ends in the file's extension (a base64 JPEG is named image.jpg).
    expect(res.image.url).toMatch(/\/i\/\w+\.jpg$/);
    expect(res.image).toMatchObject({ title: 'hello world', nsfw: 1, width: 640, height: 480 });
    expect(res.image.expiration_date_gmt).not.toBeNull();
    const bytes = Buffer.from(await (await fetch(res.image.url as string)).arrayBuffer());
    expect(bytes.equals(picture)).toBe(true);
  });

  it('uploads a file path (read and base64-encoded by the client)', async () => {
    const file = path.join(dir, 'from-disk.jpg');
    await fs.writeFile(file, picture);
    const res = await upload({ apiKey: key, cheveretoHost: host(), imagePath: file });
    expect(Boolean(res.image.url)).toBe(true);
    expect(res.image.size).toBe(picture.length);
  });

  it('uploads from a URL (fetched by the server)', async () => {
    const res = await upload({
      apiKey: key,
      cheveretoHost: host(),
      imageUrl: `${imagesUrl}/photo.jpg`,
    });
    expect(res.image.filename).toBe('photo.jpg');
    expect(res.image.size).toBe(picture.length);
  });

  it('rejects on a bad key (it reads the `error` member of our 400 reply)', async () => {
    // The library wraps the server's object in `new Error(String(…))`: only the rejection shows.
    await expect(
      upload({ apiKey: 'bad', cheveretoHost: host(), base64string: picture.toString('base64') }),
    ).rejects.toThrow();
  });
});
