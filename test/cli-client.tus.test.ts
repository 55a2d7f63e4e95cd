import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  CLI,
  createUserWithKey,
  ROOT,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from './helpers.js';
import { recordingProxy } from './http-recorder.js';

// `stowage upload` through tus: interrupted by SIGINT mid-upload, then run again, it continues
// where the server's offset says and re-sends at most one chunk.

const CHUNK = 512 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('stowage upload, resumable', () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let key: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startServer();
    key = await createUserWithKey(server, 'dave');
    proxy = await recordingProxy(server.url);
    dir = await tempDir('stowage-client-tus-');
    env = {
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      STOWAGE_URL: proxy.url,
      STOWAGE_KEY: key,
      STOWAGE_CLIENT_CHUNK_SIZE: String(CHUNK),
      STOWAGE_CLIENT_RESUMABLE_THRESHOLD: '1MiB',
    };
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const patchBytes = (from = 0, to = proxy.requests.length) =>
    proxy.requests
      .slice(from, to)
      .filter((r) => r.method === 'PATCH')
      .reduce((n, r) => n + r.bodyBytes, 0);

  it('continues after SIGINT where the server stopped, byte-exact, re-sending at most one chunk', async () => {
    const data = randomBytes(8 * 1024 * 1024 + 333);
    const file = path.join(dir, 'big.bin');
    await fs.writeFile(file, data);
    proxy.throttle = 1024 * 1024; // 1 MiB/s: the signal lands mid-upload

    const first = await new Promise<{
      code: number | null;
      signal: string | null;
      stderr: string;
      stdout: string;
    }>((resolve, reject) => {
      const child = spawn(process.execPath, [...CLI, 'upload', '--json', file], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      const poll = setInterval(() => {
        if (patchBytes() >= 1.5 * 1024 * 1024) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('close', (code, signal) => {
        clearInterval(poll);
        resolve({ code, signal, stderr, stdout });
      });
    });
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/^stowage: interrupted; run the same command again to resume\n$/m);
    expect(
      first.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      {
        ok: false,
        error: 'interrupted',
        message: 'interrupted; run the same command again to resume',
      },
    ]);
    expect(patchBytes()).toBeLessThan(data.length);

    // The fingerprint store (mode 600) names the upload; the server holds part of it.
    const storeFile = path.join(dir, 'config', 'stowage', 'tus-uploads.json');
    expect((await fs.stat(storeFile)).mode & 0o777).toBe(0o600);
    const stored = Object.values(
      JSON.parse(await fs.readFile(storeFile, 'utf8')) as Record<string, { uploadUrl: string }>,
    );
    expect(stored).toHaveLength(1);
    const uploadPath = new URL(stored[0]!.uploadUrl).pathname;
    const head = await fetch(server.url + uploadPath, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0', Authorization: basic(key) },
    });
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);

    proxy.throttle = null;
    const mark = proxy.requests.length;
    const second = await runCli(['upload', '--json', file], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming at/);
    const [result] = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(result).toMatchObject({ ok: true, method: 'tus', resumed: true, size: data.length });

    // No new upload was created: the same one went on from the server's offset.
    // What the first run sent, counted now: bytes it wrote before SIGINT can still be in the
    // proxy's socket buffer, and reach its count and the server, after the process has exited.
    const sentFirst = patchBytes(0, mark);
    expect(offset).toBeLessThanOrEqual(sentFirst);
    const again = proxy.requests.slice(mark);
    expect(again.filter((r) => r.method === 'POST')).toEqual([]);
    const firstPatch = again.find((r) => r.method === 'PATCH');
    expect(firstPatch?.url).toBe(uploadPath);
    // The second run starts from the server's offset. That can be past what the HEAD above saw:
    // the first run's last PATCH may still have been landing when it was asked.
    const resumedAt = firstPatch!.uploadOffset!;
    expect(resumedAt).toBeGreaterThanOrEqual(offset);
    expect(resumedAt).toBeLessThanOrEqual(sentFirst);
    const sentSecond = patchBytes(mark);
    expect(sentSecond).toBe(data.length - resumedAt);
    // What the first run sent beyond what the server kept: at most the chunk in flight.
    expect(sentFirst + sentSecond - data.length).toBeLessThanOrEqual(CHUNK);

    const res = await fetch(`${server.url}/api/file/${result!.id as string}`);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
    // Finished uploads leave the fingerprint store.
    expect(JSON.parse(await fs.readFile(storeFile, 'utf8'))).toEqual({});
  });

  it("a folder's large files go through tus and are imported into the folder, replacing a node", async () => {
    const folder = path.join(dir, 'videos');
    await fs.mkdir(folder, { recursive: true });
    const big = randomBytes(1536 * 1024);
    await fs.writeFile(path.join(folder, 'clip.bin'), big);
    await fs.writeFile(path.join(folder, 'note.txt'), 'small');
    const when = new Date('2024-02-04T18:34:13.466Z');
    await fs.utimes(path.join(folder, 'clip.bin'), when, when);
    // A node of that name already there: the upload replaces it, as PUT does.
    await fetch(`${server.url}/api/filesystem/me/videos/clip.bin?make_parents=true`, {
      method: 'PUT',
      body: 'old',
      headers: { Authorization: basic(key) },
    });

    const r = await runCli(['upload', '--json', folder], {
      env: { ...env, STOWAGE_URL: server.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => [o.fs_path, o.method])).toEqual([
      ['/me/videos/clip.bin', 'tus'],
      ['/me/videos/note.txt', 'filesystem'],
    ]);
    const auth = { headers: { Authorization: basic(key) } };
    const node = await fetch(`${server.url}/api/filesystem/me/videos/clip.bin`, auth);
    expect(sha256(Buffer.from(await node.arrayBuffer()))).toBe(sha256(big));
    const stat = (await (
      await fetch(`${server.url}/api/filesystem/me/videos/clip.bin?stat`, auth)
    ).json()) as {
      path: Array<{ modified: string }>;
    };
    expect(stat.path.at(-1)?.modified).toBe(when.toISOString());
    // The file that carried the bytes is gone from the account's files.
    const files = (await (await fetch(`${server.url}/api/user/files`, auth)).json()) as {
      files: Array<{ name: string }>;
    };
    expect(files.files.map((f) => f.name)).not.toContain('clip.bin');
  });

  it('a tus upload refused by the server: its value in one line, exit 2', async () => {
    const file = path.join(dir, 'small.bin');
    await fs.writeFile(file, randomBytes(4096));
    const r = await runCli(['upload', '--resumable', file, '--key', 'wrong'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^stowage: .*small\.bin: authentication_failed: .*\(HTTP 401\)\n$/);
  });
});
