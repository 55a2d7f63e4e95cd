import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startS3 } from '../../test/scaleout.js';
import { readGarbage } from '../gc/body-garbage.js';
import { S3BlobStore } from './s3-blob-store.js';

/** The S3 adapter against s3rver (an S3-protocol server started here; no external service). */
describe('S3BlobStore', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let store: S3BlobStore;
  const commands: string[] = [];

  beforeAll(async () => {
    s3 = await startS3('blobs');
    store = new S3BlobStore({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix: 'pre/',
      checksums: 'when_required',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    store.client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    await store.open({ cleanStaging: false });
  });

  afterAll(async () => {
    await store?.close();
    await s3?.stop();
  });

  it('streams a multipart upload, hashed in the same pass; ranged reads; list, stat, delete', async () => {
    const body = randomBytes(20 * 1024 * 1024 + 3);
    const staged = await store.put(Readable.from([body.subarray(0, 9e6), body.subarray(9e6)]), {
      maxBytes: 1e9,
    });
    expect(staged.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(staged.size).toBe(body.length);
    expect(staged.head.equals(body.subarray(0, 4096))).toBe(true);
    const location = await staged.commit();
    expect(store.owns(location)).toBe(true);
    expect(store.owns(`${'a'.repeat(64)}.${'b'.repeat(16)}`)).toBe(false);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect((await store.read(location, { start: 10, end: 19 })).equals(body.subarray(10, 20))).toBe(
      true,
    );
    expect((await store.stat(location))?.size).toBe(body.length);
    // A whole read: the bytes, each chunk reported to the young-generation collector.
    const note = vi.spyOn(readGarbage, 'note');
    try {
      expect((await store.read(location)).equals(body)).toBe(true);
      expect(note.mock.calls.reduce((a, [n]) => a + n, 0)).toBe(body.length);
    } finally {
      note.mockRestore();
    }
    const listed: string[] = [];
    for await (const l of store.list()) listed.push(l);
    expect(listed).toContain(location);
    await store.delete(location);
    expect(await store.stat(location)).toBeNull();
    await expect(store.get(location)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('small bodies come back inline without touching the bucket; with inlineMax 0 one plain PUT', async () => {
    const before = commands.length;
    const inline = await store.put(Readable.from([Buffer.from('tiny')]), {
      maxBytes: 100,
      inlineMax: 16,
    });
    expect(inline.inline?.toString()).toBe('tiny');
    expect(commands.length).toBe(before);
    const stored = await store.put(Readable.from([Buffer.from('tiny')]), { maxBytes: 100 });
    expect(commands.slice(before)).toContain('PutObjectCommand');
    const loc = await stored.commit();
    expect((await store.read(loc)).toString()).toBe('tiny');
    await store.delete(loc);
  });

  it('over the limit: file_too_large, and the multipart upload is aborted', async () => {
    commands.length = 0;
    const body = Readable.from([randomBytes(9e6), randomBytes(9e6)]);
    await expect(store.put(body, { maxBytes: 10e6 })).rejects.toMatchObject({
      code: 'file_too_large',
    });
    // aborted before put answers (s3rver refuses the abort itself; the request was sent)
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('AbortMultipartUploadCommand');
  });

  it('a client that goes away mid-upload: upload_aborted, and the multipart upload is aborted', async () => {
    commands.length = 0;
    const body = new PassThrough();
    const result = store.put(body, { maxBytes: 1e9 });
    body.write(randomBytes(12 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 300));
    body.destroy(Object.assign(new Error('gone'), { code: 'ECONNRESET' }));
    await expect(result).rejects.toMatchObject({ code: 'upload_aborted' });
    expect(commands).toContain('AbortMultipartUploadCommand');
  });

  it('pendingUploads: null where the server cannot list multipart uploads (s3rver)', async () => {
    expect(await store.pendingUploads()).toBeNull();
  });
});
