import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { IpUsage } from '../src/core/traffic/ip-usage.js';
import { tempDir } from './helpers.js';
import { scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';
import { request, solvedPayload } from './rules-helpers.js';

const unavailable = await scaleOutUnavailable();

/**
 * Two apps on one PostgreSQL schema, one bucket and one Redis: the hotlink rule sees the downloads
 * of both nodes, a captcha solved on one is refused as a replay on the other while its grant holds
 * there, and per-IP counts add up across nodes.
 */
describe.skipIf(unavailable !== null)('download rules on two nodes (PostgreSQL + Redis)', () => {
  let stack: ScaleOutStack;
  const dirs: string[] = [];
  const nodes: { app: App; url: string }[] = [];
  let n = 0;
  const client = () => `127.0.1.${10 + (n++ % 200)}`;

  beforeAll(async () => {
    stack = await scaleOutStack();
    for (let i = 0; i < 2; i++) {
      const dir = await tempDir();
      dirs.push(dir);
      const config = loadConfig(
        {
          ...stack.config,
          host: '127.0.0.1',
          port: 0,
          dataDir: dir,
          logLevel: 'silent',
          hotlinkMinDownloads: 10,
          captchaDifficulty: 2000,
          ipDownloadLimit: 5,
        },
        {},
      );
      const app = await buildApp(config);
      nodes.push({ app, url: await app.listen() });
    }
  }, 60_000);

  afterAll(async () => {
    for (const { app } of nodes) await app.close();
    await stack?.cleanup();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  const [a, b] = [() => nodes[0]!, () => nodes[1]!];
  const flushAll = async () => {
    for (const { app } of nodes) {
      await app.runtime.core.traffic.flush();
      await app.runtime.core.rules.flush();
    }
    // Each node keeps a file's record for up to a second.
    await new Promise((r) => setTimeout(r, 1100));
  };

  it('the rule counts the downloads of both nodes; a captcha works once across them', async () => {
    const put = await fetch(`${a().url}/api/file/x.bin`, {
      method: 'PUT',
      body: new Uint8Array(randomBytes(300)),
    });
    const id = ((await put.json()) as { id: string }).id;
    for (let i = 0; i < 5; i++) {
      expect((await request(`${a().url}/api/file/${id}`, { from: client() })).status).toBe(200);
      expect((await request(`${b().url}/api/file/${id}`, { from: client() })).status).toBe(200);
    }
    await flushAll();
    for (const node of [a(), b()]) {
      const r = await request(`${node.url}/api/file/${id}`, { from: client() });
      expect(r.status).toBe(403);
      expect(r.json().value).toBe('file_rate_limited_captcha_required');
    }

    // Solved through node a's challenge (one HMAC key for both), used on node b.
    const payload = encodeURIComponent(await solvedPayload(a().url));
    const me = client();
    const q = `?recaptcha_response=${payload}`;
    expect((await request(`${b().url}/api/file/${id}${q}`, { from: me })).status).toBe(200);
    // The grant is shared: the same client passes on node a too.
    expect((await request(`${a().url}/api/file/${id}`, { from: me })).status).toBe(200);
    // The payload again, from another client, on the other node: a replay.
    const replay = await request(`${a().url}/api/file/${id}${q}`, { from: client() });
    expect(replay.status).toBe(424);
    expect(replay.json().value).toBe('recpatcha_failed');
  });

  it('per-IP downloads add up across the nodes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${a().url}/api/file/f${i}.bin`, {
        method: 'PUT',
        body: new Uint8Array(randomBytes(50)),
      });
      ids.push(((await r.json()) as { id: string }).id);
    }
    const me = '127.0.2.9';
    for (let i = 0; i < 3; i++)
      expect((await request(`${a().url}/api/file/${ids[i]}`, { from: me })).status).toBe(200);
    for (let i = 3; i < 5; i++)
      expect((await request(`${b().url}/api/file/${ids[i]}`, { from: me })).status).toBe(200);
    await flushAll();
    // A node learns the shared total when it pushes. Node b's own timer may have pushed its two
    // before node a pushed its three (a slow machine): b then holds 2 until its next push. Make
    // that push now, with nothing to add (a zero increment reads the totals).
    const usage = (b().app.runtime.core.rules as unknown as { usage: IpUsage }).usage;
    usage.add(me, {});
    await b().app.runtime.core.rules.flush();
    const limits = (await request(`${b().url}/api/misc/rate_limits`, { from: me })).json();
    expect(limits).toMatchObject({ download_limit: 5, download_limit_used: 5 });
    const refused = await request(`${b().url}/api/file/${ids[5]}`, { from: me });
    expect(refused.status).toBe(403);
    expect(refused.json().value).toBe('ip_download_limited_captcha_required');
  });
});
