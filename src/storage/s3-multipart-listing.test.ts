import { describe, expect, it } from 'vitest';
import { S3BlobStore } from './s3-blob-store.js';

/**
 * Listing unfinished multipart uploads reads every page (s3rver cannot list them, so the S3
 * answers here are scripted in the client's middleware; nothing goes on the network).
 */
describe('S3BlobStore multipart upload listing', () => {
  function scripted(pages: Array<Record<string, unknown>>) {
    const store = new S3BlobStore({
      bucket: 'b',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      prefix: 'pre/',
      checksums: 'when_required',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const listed: Array<Record<string, unknown>> = [];
    const aborted: string[] = [];
    store.client.middlewareStack.add(
      (_next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        if (context.commandName === 'ListMultipartUploadsCommand') {
          listed.push(input);
          return { output: { $metadata: {}, ...pages[listed.length - 1] }, response: {} };
        }
        if (context.commandName === 'AbortMultipartUploadCommand') {
          aborted.push(String(input.UploadId));
          return { output: { $metadata: {} }, response: {} };
        }
        throw new Error(`unexpected ${context.commandName}`);
      },
      { step: 'initialize', name: 'scripted' },
    );
    return { store, listed, aborted };
  }

  const old = new Date(Date.now() - 48 * 3600_000);
  const fresh = new Date();
  const PAGES = [
    {
      Uploads: [
        { Key: 'pre/b/1', UploadId: 'u1', Initiated: old },
        { Key: 'pre/b/2', UploadId: 'u2', Initiated: fresh },
      ],
      IsTruncated: true,
      NextKeyMarker: 'pre/b/2',
      NextUploadIdMarker: 'u2',
    },
    { Uploads: [{ Key: 'pre/b/3', UploadId: 'u3', Initiated: old }], IsTruncated: false },
  ];

  it('counts the uploads of every page, continuing from the markers; unfinished tus uploads too', async () => {
    const tus = { Uploads: [{ Key: 'pre/tus/x', UploadId: 't1', Initiated: old }] };
    const { store, listed } = scripted([...PAGES, tus]);
    expect(await store.pendingUploads()).toBe(4);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatchObject({ Bucket: 'b', Prefix: 'pre/b/', KeyMarker: undefined });
    expect(listed[1]).toMatchObject({ KeyMarker: 'pre/b/2', UploadIdMarker: 'u2' });
    expect(listed[2]).toMatchObject({ Prefix: 'pre/tus/', KeyMarker: undefined });
    await store.close();
  });

  it('aborts the stale uploads of every page and keeps fresh ones', async () => {
    const { store, aborted, listed } = scripted(PAGES);
    expect(await store.abortStaleUploads(24 * 3600_000)).toBe(2);
    expect(aborted).toEqual(['u1', 'u3']);
    // Only blobs' uploads: a resumable upload may rightly be older than a day.
    expect(listed.every((l) => l.Prefix === 'pre/b/')).toBe(true);
    await store.close();
  });
});
