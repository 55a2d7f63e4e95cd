import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tus from 'tus-js-client';
import { basic, createUserWithKey, type TestServer } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';
import { cutPatch, startTusServer, TUS, tusCreate } from './tus-helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Uploads cut off mid-PATCH and resumed: byte-exact files, a server that never falls over. */
describe.skipIf(ON_SCALE_OUT)('tus: interrupted and resumed uploads', () => {
  let server: TestServer;
  let key: string;
  let auth: { Authorization: string };

  beforeAll(async () => {
    server = await startTusServer();
    key = await createUserWithKey(server, 'bob');
    auth = { Authorization: basic(key) };
  });
  afterAll(async () => {
    await server?.close();
  });

  const offsetOf = async (url: string) => {
    const res = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });
    expect(res.status).toBe(200);
    return Number(res.headers.get('upload-offset'));
  };

  it('survives connections closed at random points, then finishes byte-exact', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 12345);
    const created = await tusCreate(server.url, auth, data.length, 'cut.bin');
    const url = server.url + created.headers.get('location')!;
    let previous = 0;
    for (let cut = 0; cut < 5; cut++) {
      const offset = await offsetOf(url);
      // Never more than was sent, never less than before: a consistent prefix.
      expect(offset).toBeGreaterThanOrEqual(previous);
      previous = offset;
      const rest = data.subarray(offset);
      const send = Math.floor(Math.random() * rest.length * 0.5);
      await cutPatch(url, { ...TUS, ...auth, 'Upload-Offset': String(offset) }, rest, send);
      // The server has the bytes up to where it was cut (or fewer): wait for it to settle.
      let settled = await offsetOf(url);
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const again = await offsetOf(url);
        if (again === settled && i > 2) break;
        settled = again;
      }
      expect(settled).toBeLessThanOrEqual(offset + send);
      expect(settled).toBeGreaterThanOrEqual(offset);
    }
    // Resume: HEAD, then the rest (a 409 means a cut PATCH was still writing: ask again).
    let fileId: string | null = null;
    for (let attempt = 0; attempt < 20 && !fileId; attempt++) {
      const offset = await offsetOf(url);
      const res = await fetch(url, {
        method: 'PATCH',
        headers: {
          ...TUS,
          ...auth,
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': String(offset),
        },
        body: new Uint8Array(data.subarray(offset)),
      });
      if (res.status === 409) continue;
      expect(res.status).toBe(204);
      fileId = res.headers.get('stowage-file-id');
    }
    expect(fileId).toBeTruthy();
    const file = Buffer.from(await (await fetch(`${server.url}/api/file/${fileId}`)).arrayBuffer());
    expect(file.length).toBe(data.length);
    expect(sha256(file)).toBe(sha256(data));
    const info = (await (await fetch(`${server.url}/api/file/${fileId}/info`)).json()) as {
      hash_sha256: string;
    };
    expect(info.hash_sha256).toBe(sha256(data));
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  }, 60_000);

  function upload(
    data: Buffer,
    opts: Partial<tus.UploadOptions> = {},
  ): { done: Promise<string | null>; upload: tus.Upload } {
    let fileId: string | null = null;
    let u!: tus.Upload;
    const done = new Promise<string | null>((resolve, reject) => {
      u = new tus.Upload(data, {
        endpoint: `${server.url}/api/tus`,
        metadata: { filename: 'client.bin', filetype: 'application/octet-stream' },
        headers: { Authorization: basic(key) },
        retryDelays: [0, 100, 200],
        onAfterResponse: (_req, res) => {
          fileId = res.getHeader('Stowage-File-Id') ?? fileId;
        },
        onSuccess: () => resolve(fileId),
        onError: reject,
        ...opts,
      });
      u.start();
    });
    return { done, upload: u };
  }

  it('tus-js-client uploads (one PATCH, and in chunks) and reads Stowage-File-Id', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    for (const chunkSize of [undefined, 512 * 1024]) {
      const { done } = upload(data, chunkSize ? { chunkSize } : {});
      const fileId = await done;
      expect(fileId, `chunkSize ${chunkSize}`).toBeTruthy();
      const file = Buffer.from(
        await (await fetch(`${server.url}/api/file/${fileId}`)).arrayBuffer(),
      );
      expect(sha256(file)).toBe(sha256(data));
    }
  }, 60_000);

  it('tus-js-client resumes an aborted upload from its URL', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    let uploadUrl: string | null = null;
    const first = upload(data, {
      chunkSize: 256 * 1024,
      onProgress: (sent) => {
        if (sent >= 1024 * 1024 && !uploadUrl) {
          uploadUrl = first.upload.url;
          void first.upload.abort();
        }
      },
    });
    // abort() settles nothing: wait for the URL to be taken.
    for (let i = 0; i < 200 && !uploadUrl; i++) await new Promise((r) => setTimeout(r, 25));
    expect(uploadUrl).toBeTruthy();
    void first.done.catch(() => {});
    const offset = await offsetOf(uploadUrl!);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);
    let resumedFrom = -1;
    const second = upload(data, {
      uploadUrl,
      chunkSize: 256 * 1024,
      onUploadUrlAvailable: () => {},
      onBeforeRequest: (req) => {
        if (req.getMethod() === 'PATCH' && resumedFrom < 0) {
          resumedFrom = Number(req.getHeader('Upload-Offset'));
        }
      },
    });
    const fileId = await second.done;
    // It went on from where the server was, not from the start.
    expect(resumedFrom).toBe(offset);
    const file = Buffer.from(await (await fetch(`${server.url}/api/file/${fileId}`)).arrayBuffer());
    expect(sha256(file)).toBe(sha256(data));
  }, 60_000);
});
