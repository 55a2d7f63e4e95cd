import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, tempDir } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';
import { TUS, tusMetadata } from './tus-helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One PATCH on a connection of its own (the cluster hands each new connection to a worker). */
function patchOnNewConnection(
  url: string,
  offset: number,
  body: Buffer,
): Promise<{ status: number; offset: string | undefined; fileId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'PATCH',
        agent: false,
        headers: {
          ...TUS,
          Connection: 'close',
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': String(body.length),
          'Upload-Offset': String(offset),
        },
      },
      (res) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            offset: res.headers['upload-offset'] as string | undefined,
            fileId: res.headers['stowage-file-id'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `serve --workers 2` on one data dir: PATCHes of one upload land on both workers, and two PATCHes
 * racing at the same offset never both write (the database lock): one wins, the other is 409.
 */
describe.skipIf(ON_SCALE_OUT)('tus under --workers 2', () => {
  let dataDir: string;
  let srv: Awaited<ReturnType<typeof spawnServer>>;

  beforeAll(async () => {
    dataDir = await tempDir();
    srv = await spawnServer(dataDir, { STOWAGE_WORKERS: '2' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('racing PATCHes on two workers: one writes, the other is refused; the file is exact', async () => {
    const chunk = 512 * 1024;
    const chunks = 8;
    const length = chunk * chunks;
    const created = await fetch(`${srv.url}/api/tus`, {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': String(length),
        'Upload-Metadata': tusMetadata({ filename: 'race.bin' }),
      },
    });
    expect(created.status).toBe(201);
    const url = srv.url + created.headers.get('location')!;
    const expected: Buffer[] = [];
    let fileId: string | undefined;
    for (let i = 0; i < chunks; i++) {
      const a = randomBytes(chunk);
      const b = randomBytes(chunk);
      const [ra, rb] = await Promise.all([
        patchOnNewConnection(url, i * chunk, a),
        patchOnNewConnection(url, i * chunk, b),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses, `chunk ${i}`).toEqual([204, 409]);
      const winner = ra.status === 204 ? ra : rb;
      expected.push(ra.status === 204 ? a : b);
      expect(winner.offset).toBe(String((i + 1) * chunk));
      fileId = winner.fileId ?? fileId;
    }
    expect(fileId).toBeTruthy();
    const file = Buffer.from(await (await fetch(`${srv.url}/api/file/${fileId}`)).arrayBuffer());
    expect(sha256(file)).toBe(sha256(Buffer.concat(expected)));
    const info = (await (await fetch(`${srv.url}/api/file/${fileId}/info`)).json()) as {
      hash_sha256: string;
    };
    expect(info.hash_sha256).toBe(sha256(file));
  }, 60_000);
});
