import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { basic, tempDir } from './helpers.js';
import { request } from './rules-helpers.js';
import { scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

const unavailable = await scaleOutUnavailable();

/**
 * Two apps on one PostgreSQL schema, one bucket and one Redis: an address's anonymous uploads add
 * up across nodes, an account's quota counts the files stored through either node, and an invite
 * used on one node is used on the other.
 */
describe.skipIf(unavailable !== null)('limits on two nodes (PostgreSQL + Redis)', () => {
  let stack: ScaleOutStack;
  const dirs: string[] = [];
  const nodes: { app: App; url: string }[] = [];

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
          anonDailyUploads: 3,
          userMaxFiles: 2,
          registration: 'invite',
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

  const put = (node: number, name: string, from: string, key?: string) =>
    request(`${nodes[node]!.url}/api/file/${name}`, {
      method: 'PUT',
      from,
      body: 'two nodes',
      headers: key ? { authorization: basic(key) } : {},
    });

  it('an address’s anonymous uploads add up across nodes', async () => {
    const from = '127.0.2.10';
    expect((await put(0, 'a.txt', from)).status).toBe(201);
    expect((await put(1, 'b.txt', from)).status).toBe(201);
    expect((await put(0, 'c.txt', from)).status).toBe(201);
    const r = await put(1, 'd.txt', from);
    expect(r.status).toBe(429);
    expect(r.json()).toMatchObject({ value: 'ip_rate_limit_reached' });
    expect((await put(0, 'e.txt', from)).status).toBe(429);
    expect((await put(1, 'f.txt', '127.0.2.11')).status).toBe(201);
  });

  it('an account’s file count includes what it stored through the other node', async () => {
    const { accounts } = nodes[0]!.app.runtime.core;
    await accounts.createUser('twonodes', null, false);
    const { key } = await accounts.createKey('twonodes', 'test', '127.0.0.1');
    expect((await put(0, '1.txt', '127.0.2.20', key)).status).toBe(201);
    expect((await put(1, '2.txt', '127.0.2.20', key)).status).toBe(201);
    const r = await put(0, '3.txt', '127.0.2.20', key);
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ value: 'too_many_files' });
  });

  it('an invite made on one node registers once, on either', async () => {
    const { code } = await nodes[0]!.app.runtime.core.limits.invites.create(
      { userId: null, name: 'cli' },
      1,
    );
    const register = (node: number, username: string) =>
      fetch(`${nodes[node]!.url}/api/user/register`, {
        method: 'POST',
        body: new URLSearchParams({ username, password: 'a long password', invite: code }),
      });
    expect((await register(1, 'invited')).status).toBe(201);
    const again = await register(0, 'invited2');
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ value: 'invite_invalid' });
  });
});
