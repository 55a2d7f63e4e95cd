import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { Server } from '@tus/server';
import { DataStore, Upload } from '@tus/utils';
import { afterEach, describe, expect, it } from 'vitest';
import { handleTus, uncopiedBody } from './request.js';

const KiB = 1024;

function chunk(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) out.push(c);
  return out;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('uncopiedBody', () => {
  it('passes the source’s own chunks on (the same memory) and closes at its end', async () => {
    const source = new PassThrough();
    const sent = [chunk(64 * KiB, 1), chunk(10, 2), chunk(64 * KiB, 3)];
    const reading = readAll(uncopiedBody(source));
    for (const c of sent) source.write(c);
    source.end();
    const got = await reading;
    expect(got).toHaveLength(3);
    got.forEach((c, i) => {
      expect(c.buffer).toBe(sent[i]!.buffer);
      expect(c.byteOffset).toBe(sent[i]!.byteOffset);
      expect(c.byteLength).toBe(sent[i]!.byteLength);
    });
  });

  it('pauses the source once the queue holds its bytes, and goes on as they are read', async () => {
    const source = new PassThrough({ highWaterMark: 16 * KiB });
    let taken = 0;
    source.on('data', () => taken++);
    const stream = uncopiedBody(source, 128 * KiB);
    const total = 32;
    for (let i = 0; i < total; i++) source.write(chunk(16 * KiB, i));
    source.end();
    await tick();
    // Nothing read: the source stopped at the queue's size (8 chunks fill it).
    expect(source.isPaused()).toBe(true);
    expect(taken).toBe(8);
    const got = await readAll(stream);
    expect(got.map((c) => c[0])).toEqual([...Array(total).keys()]);
  });

  it('errors with the source’s error', async () => {
    const source = new PassThrough();
    const reader = uncopiedBody(source).getReader();
    source.write(chunk(100, 1));
    expect((await reader.read()).value?.byteLength).toBe(100);
    const boom = new Error('socket reset');
    source.destroy(boom);
    await expect(reader.read()).rejects.toBe(boom);
  });

  it('errors with an AbortError when the source closes before its end (a client gone)', async () => {
    const source = new PassThrough();
    const reader = uncopiedBody(source).getReader();
    source.write(chunk(100, 1));
    await reader.read();
    source.destroy();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('destroys the source when the stream is cancelled, and stops taking its chunks', async () => {
    const source = new PassThrough();
    const stream = uncopiedBody(source);
    await stream.cancel(new Error('reader gone'));
    expect(source.destroyed).toBe(true);
    expect(source.listenerCount('data')).toBe(0);
  });

  it('is an empty, cancelled stream for a source already destroyed', async () => {
    const source = new PassThrough();
    source.destroy();
    expect(await readAll(uncopiedBody(source))).toEqual([]);
  });
});

/** A tus store that keeps the chunks it is handed, as they are. */
class KeepingStore extends DataStore {
  upload = new Upload({ id: 'u1', size: 1024 * KiB, offset: 0, metadata: {} });
  chunks: Buffer[] = [];
  override async getUpload(): Promise<Upload> {
    return this.upload;
  }
  override async write(readable: Readable, _id: string, offset: number): Promise<number> {
    for await (const c of readable as AsyncIterable<Buffer>) this.chunks.push(c);
    const written = this.chunks.reduce((n, c) => n + c.length, 0);
    this.upload.offset = offset + written;
    return this.upload.offset;
  }
}

describe('handleTus', () => {
  let server: http.Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('hands a PATCH body to the store in the request’s own chunks, and answers as tus does', async () => {
    const store = new KeepingStore();
    const tus = new Server({ path: '/files', datastore: store });
    const received: Buffer[] = [];
    server = http.createServer((req, res) => {
      req.prependListener('data', (c: Buffer) => received.push(c));
      void handleTus(tus, req, res);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const body = Buffer.alloc(1024 * KiB, 7);
    const res = await fetch(`http://127.0.0.1:${port}/files/u1`, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
      },
      body,
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('upload-offset')).toBe(String(body.length));
    expect(Buffer.concat(store.chunks).equals(body)).toBe(true);
    // Each chunk the store got is one the request emitted, not a copy of it.
    expect(store.chunks.length).toBe(received.length);
    store.chunks.forEach((c, i) => expect(c.buffer).toBe(received[i]!.buffer));
  });
});
