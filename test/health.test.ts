import fs from 'node:fs/promises';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startServer, tempDir, type TestServer } from './helpers.js';

/**
 * GET /api/health: liveness, cheap, no versions. GET /api/health/ready: the backends, 503 naming
 * what is down. On both stacks (the scale-out run adds Redis to the checks).
 */
describe('health and readiness', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(() => s.close());

  it('GET /api/health is exactly {"status":"ok"}: no media tool versions for anonymous callers', async () => {
    const r = await fetch(`${s.url}/api/health`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await r.text()).toBe('{"status":"ok"}');
  });

  it('GET /api/health/ready: 200 with every configured backend ok', async () => {
    const r = await fetch(`${s.url}/api/health/ready`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const scaleOut = s.app.runtime.config.redisUrl !== null;
    expect(await r.json()).toEqual({
      status: 'ready',
      checks: {
        database: 'ok',
        blob_store: 'ok',
        ...(scaleOut ? { redis: 'ok' } : {}),
      },
    });
  });
});

describe('readiness with the database unreachable', () => {
  it('answers 503 naming the database; liveness stays 200; a request needing it gets 503 in pixeldrain shape', async () => {
    // A port nothing listens on: PostgreSQL "down" without touching the shared server.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((r) => probe.close(r));

    const dir = await tempDir();
    const app = await buildApp(
      loadConfig(
        {
          host: '127.0.0.1',
          port: 0,
          dataDir: dir,
          logLevel: 'silent',
          databaseUrl: `postgres://postgres@127.0.0.1:${port}/none`,
        },
        {},
      ),
      { migrate: false, cleanStaging: false, sweepExpired: false },
    );
    try {
      const url = await app.listen();
      const ready = await fetch(`${url}/api/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        checks: { database: 'down', blob_store: 'ok' },
      });
      expect(await (await fetch(`${url}/api/health`)).text()).toBe('{"status":"ok"}');
      const info = await fetch(`${url}/api/file/abcdefgh/info`);
      expect(info.status).toBe(503);
      expect(await info.json()).toEqual({
        success: false,
        value: 'service_unavailable',
        message: 'A service this request needs cannot be reached at the moment, try again later',
      });
    } finally {
      await app.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
