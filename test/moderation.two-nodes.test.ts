import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { basic, tempDir } from './helpers.js';
import { scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

const unavailable = await scaleOutUnavailable();

/**
 * Two apps on one PostgreSQL schema, one bucket and one Redis: a block made on one node reaches
 * the other within seconds (its record cache), reports and their limit are shared.
 */
describe.skipIf(unavailable !== null)('moderation on two nodes (PostgreSQL + Redis)', () => {
  let stack: ScaleOutStack;
  const dirs: string[] = [];
  const nodes: { app: App; url: string }[] = [];
  let adminKey: string;

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
          trustProxy: true,
          reportRateLimit: 2,
        },
        {},
      );
      const app = await buildApp(config);
      nodes.push({ app, url: await app.listen() });
    }
    const { accounts } = nodes[0]!.app.runtime.core;
    await accounts.createUser('root', null, true);
    adminKey = (await accounts.createKey('root', 'test', '127.0.0.1')).key;
  }, 60_000);

  afterAll(async () => {
    for (const { app } of nodes) await app.close();
    await stack?.cleanup();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  const [a, b] = [() => nodes[0]!.url, () => nodes[1]!.url];
  const upload = async (content: string) => {
    const r = await fetch(`${a()}/api/file/f.txt`, {
      method: 'PUT',
      body: content,
      headers: { authorization: basic(adminKey) },
    });
    return ((await r.json()) as { id: string }).id;
  };
  /** How long until `url` answers `status` (polls every 100 ms, gives up after 5 s). */
  const until = async (url: string, status: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === status) return Date.now() - start;
      if (Date.now() - start > 5000) throw new Error(`${url} still answers ${r.status}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('a block on one node is enforced by the other within seconds, and so is the unblock', async () => {
    const id = await upload('blocked on node a');
    expect((await fetch(`${b()}/api/file/${id}`)).status).toBe(200);
    const block = await fetch(`${a()}/api/admin/files/${id}/block`, {
      method: 'POST',
      body: new URLSearchParams({ type: 'gore', reason: 'two nodes' }),
      headers: { authorization: basic(adminKey) },
    });
    expect(block.status).toBe(200);
    expect((await fetch(`${a()}/api/file/${id}`)).status).toBe(451);
    expect(await until(`${b()}/api/file/${id}`, 451)).toBeLessThan(3000);
    await fetch(`${a()}/api/admin/files/${id}/unblock`, {
      method: 'POST',
      body: new URLSearchParams({}),
      headers: { authorization: basic(adminKey) },
    });
    expect(await until(`${b()}/api/file/${id}`, 200)).toBeLessThan(3000);
  });

  it('a client that reported on one node cannot report again on the other; the limit is shared', async () => {
    const ids = await Promise.all([upload('r1'), upload('r2'), upload('r3')]);
    const report = (node: string, id: string) =>
      fetch(`${node}/api/file/${id}/report_abuse`, {
        method: 'POST',
        body: new URLSearchParams({ type: 'other' }),
        headers: { 'x-forwarded-for': '198.51.100.99' },
      });
    expect((await report(a(), ids[0]!)).status).toBe(200);
    const again = await report(b(), ids[0]!);
    expect(await again.json()).toMatchObject({ value: 'resource_already_exists' });
    expect((await report(b(), ids[1]!)).status).toBe(200);
    expect((await report(a(), ids[2]!)).status).toBe(429);
  });
});
