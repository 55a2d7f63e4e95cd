import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3 } from '../../test/scaleout.js';
import { S3BlobStore } from './s3-blob-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** S3BlobStore.adopt against s3rver: a tus upload's object becomes a blob by a server-side copy. */
describe('S3BlobStore.adopt', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let store: S3BlobStore;
  const commands: string[] = [];
  let failCommand: string | null = null;

  beforeAll(async () => {
    s3 = await startS3('adopt');
    store = new S3BlobStore({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      prefix: 'pre/',
      checksums: 'when_required',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // s3rver does not enforce the 5 MiB minimum part size: small parts test the multipart copy.
      adoptCopy: { singleCopyMax: 3 * 1024 * 1024, partSize: 1024 * 1024 },
    });
    store.client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        if (context.commandName === failCommand) throw new Error(`${failCommand} failed`);
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

  beforeEach(() => {
    commands.length = 0;
    failCommand = null;
  });

  async function upload(body: Buffer): Promise<string> {
    const ref = `tus/${randomBytes(8).toString('hex')}`;
    await store.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: `pre/${ref}`, Body: body }),
    );
    commands.length = 0;
    return ref;
  }

  async function exists(ref: string): Promise<boolean> {
    try {
      await store.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `pre/${ref}` }));
      return true;
    } catch {
      return false;
    }
  }

  async function listed(): Promise<string[]> {
    const out: string[] = [];
    for await (const l of store.list()) out.push(l);
    return out;
  }

  it('without a SHA-256: hashes the object once, commits by CopyObject, removes the upload', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 17);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length, inlineMax: 1024 });
    expect(staged.sha256).toBe(sha(body));
    expect(staged.key).toBe(staged.sha256);
    expect(staged.size).toBe(body.length);
    expect(staged.head.equals(body.subarray(0, 4096))).toBe(true);
    expect(staged.inline).toBeUndefined();
    const location = await staged.commit();
    expect(store.owns(location)).toBe(true);
    expect(commands).toContain('CopyObjectCommand');
    expect((await store.read(location)).equals(body)).toBe(true);
    expect(await exists(ref)).toBe(false);
    expect(await listed()).toContain(location);
    // tus objects never show up as blobs.
    const other = await upload(randomBytes(10));
    expect(await listed()).not.toContain(other);
    await store.delete(location);
  });

  it('with a SHA-256: trusted, only the head is read (a ranged GET)', async () => {
    const body = randomBytes(100_000);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length, sha256: 'a'.repeat(64) });
    expect(staged.sha256).toBe('a'.repeat(64));
    expect(staged.head.equals(body.subarray(0, 4096))).toBe(true);
    const location = await staged.commit();
    expect((await store.read(location)).equals(body)).toBe(true);
    await store.delete(location);
  });

  it('beyond the single-copy limit: a multipart copy of ranges (UploadPartCopy)', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length, sha256: sha(body) });
    const location = await staged.commit();
    expect(commands.filter((c) => c === 'UploadPartCopyCommand')).toHaveLength(4);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(commands).not.toContain('CopyObjectCommand');
    const back = await store.read(location);
    expect(sha(back)).toBe(sha(body));
    expect(await exists(ref)).toBe(false);
    await store.delete(location);
  });

  it('a failed multipart copy is aborted; the upload stays for another try', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length, sha256: sha(body) });
    failCommand = 'CompleteMultipartUploadCommand';
    await expect(staged.commit()).rejects.toMatchObject({ code: 'storage_failed' });
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await exists(ref)).toBe(true);
    expect(await listed()).toEqual([]);
  });

  it('a failed copy: storage_failed, no blob, the upload stays', async () => {
    const body = randomBytes(50_000);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length });
    failCommand = 'CopyObjectCommand';
    await expect(staged.commit()).rejects.toMatchObject({ code: 'storage_failed' });
    expect(await exists(ref)).toBe(true);
    expect(await listed()).toEqual([]);
  });

  it('small bodies come back inline and the upload object is removed', async () => {
    const body = Buffer.from('a small resumable upload');
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length, inlineMax: 1024 });
    expect(staged.inline?.equals(body)).toBe(true);
    expect(staged.sha256).toBe(sha(body));
    expect(staged.head.equals(body)).toBe(true);
    expect(await exists(ref)).toBe(false);
    expect(commands).not.toContain('CopyObjectCommand');
  });

  it('an empty upload (inlineMax 0) is copied like any other', async () => {
    const ref = await upload(Buffer.alloc(0));
    const staged = await store.adopt(ref, { size: 0 });
    expect(staged.sha256).toBe(sha(Buffer.alloc(0)));
    expect(staged.head.length).toBe(0);
    const location = await staged.commit();
    expect((await store.read(location)).length).toBe(0);
    await store.delete(location);
  });

  it('discard removes the upload object and stores nothing', async () => {
    const body = randomBytes(20_000);
    const ref = await upload(body);
    const staged = await store.adopt(ref, { size: body.length });
    await staged.discard();
    expect(await exists(ref)).toBe(false);
    expect(await listed()).toEqual([]);
    await expect(staged.commit()).rejects.toThrow(/settled/);
  });

  it('a missing object: not_found; a size other than declared: storage_failed, nothing removed', async () => {
    await expect(store.adopt('tus/nothere', { size: 10 })).rejects.toMatchObject({
      code: 'not_found',
    });
    const body = randomBytes(1000);
    const ref = await upload(body);
    await expect(store.adopt(ref, { size: 1001 })).rejects.toMatchObject({
      code: 'storage_failed',
    });
    expect(await exists(ref)).toBe(true);
  });

  it('refuses references outside the upload area', async () => {
    for (const ref of ['b/' + 'a'.repeat(32), 'tus/../b/x', 'tus/a/b', '../tus/x', 'tus/']) {
      await expect(store.adopt(ref, { size: 1 })).rejects.toMatchObject({ code: 'not_found' });
    }
    expect(commands).toEqual([]);
  });

  it('S3 unreachable: storage_failed', async () => {
    failCommand = 'HeadObjectCommand';
    await expect(store.adopt('tus/abc', { size: 1 })).rejects.toMatchObject({
      code: 'storage_failed',
    });
  });
});
