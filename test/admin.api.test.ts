import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let adminKey: string;
let userKey: string;

beforeAll(async () => {
  server = await startServer();
  adminKey = await createUserWithKey(server, 'root', { admin: true });
  userKey = await createUserWithKey(server, 'plain');
});
afterAll(() => server.close());

const get = (path: string, key?: string) =>
  fetch(server.url + path, key ? { headers: { authorization: basic(key) } } : {});

describe('/api/admin', () => {
  it('asks for credentials without them, and refuses accounts that are not admins', async () => {
    const anon = await get('/api/admin/audit');
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ success: false, value: 'authentication_required' });
    const plain = await get('/api/admin/audit', userKey);
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ success: false, value: 'forbidden' });
  });

  it('shows the audit log to admins, newest first', async () => {
    const { audit } = server.app.runtime.core;
    await audit.record(CLI_ACTOR, 'file.block', { type: 'file', id: 'aaaa' }, 'spam', { n: 1 });
    await audit.record({ userId: 'x', name: 'root' }, 'user.disable', { type: 'user', id: 'u' });
    const r = await get('/api/admin/audit?limit=10', adminKey);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { total: number; entries: Record<string, unknown>[] };
    expect(body.total).toBeGreaterThanOrEqual(2);
    const block = body.entries.find((e) => e.action === 'file.block');
    expect(block).toMatchObject({
      actor_name: 'cli',
      actor_id: null,
      target_type: 'file',
      target_id: 'aaaa',
      reason: 'spam',
      details: { n: 1 },
    });
    expect(String(block!.at)).toMatch(/^\d{4}-\d\d-\d\dT/);
    const only = await get('/api/admin/audit?target_id=u', adminKey);
    expect(((await only.json()) as { entries: unknown[] }).entries).toHaveLength(1);
  });
});
