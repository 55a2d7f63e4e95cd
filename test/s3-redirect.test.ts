import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

const unavailable = await scaleOutUnavailable();

describe.skipIf(unavailable !== null)('STOWAGE_S3_REDIRECT: downloads from presigned URLs', () => {
  let stack: ScaleOutStack;
  let s: TestServer;

  beforeAll(async () => {
    stack = await scaleOutStack();
    s = await startServer({ ...stack.config, s3Redirect: true });
  });

  afterAll(async () => {
    await s?.close();
    await stack?.cleanup();
  });

  async function put(name: string, body: Uint8Array): Promise<string> {
    const r = await fetch(`${s.url}/api/file/${name}`, {
      method: 'PUT',
      body: new Uint8Array(body),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  it('a stored blob: 302 to a signed URL that serves the bytes, with the name for ?download', async () => {
    const body = randomBytes(100_000);
    const id = await put('report.bin', body);
    const r = await fetch(`${s.url}/api/file/${id}?download`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    const location = r.headers.get('location')!;
    expect(location.startsWith(stack.s3.endpoint)).toBe(true);
    expect(location).toMatch(/X-Amz-Signature=/);
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect(Buffer.from(await direct.arrayBuffer()).equals(body)).toBe(true);
  });

  it('small (inline) files, HEAD and active content are served by Stowage itself', async () => {
    const small = await put('small.txt', new TextEncoder().encode('tiny'));
    expect((await fetch(`${s.url}/api/file/${small}`, { redirect: 'manual' })).status).toBe(200);
    const page = await put(
      'page.html',
      new TextEncoder().encode(`<html>${'x'.repeat(20_000)}</html>`),
    );
    const r = await fetch(`${s.url}/api/file/${page}`, { redirect: 'manual' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain('sandbox');
    const big = await put('big.bin', randomBytes(50_000));
    expect(
      (await fetch(`${s.url}/api/file/${big}`, { method: 'HEAD', redirect: 'manual' })).status,
    ).toBe(200);
  });
});
