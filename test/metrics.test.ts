import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, type Exposition } from './prom-text.js';
import { spawnServer, startServer, tempDir, type TestServer } from './helpers.js';

const TOKEN = 'scrape-token-0123456789';
const GUEST = 'guest-key-for-tools-0123';

async function scrape(base: string, token?: string): Promise<Exposition> {
  const r = await fetch(`${base}/metrics`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await r.text());
}

/** GET on a connection of its own (no keep-alive): the cluster spreads connections over workers. */
function getOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      res.on('error', reject);
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('metrics off (default)', () => {
  it('GET /metrics is 404 and no metrics exist', async () => {
    const s = await startServer();
    try {
      const r = await fetch(`${s.url}/metrics`);
      expect(r.status).toBe(404);
      await r.arrayBuffer();
      expect(s.app.metrics).toBeNull();
      expect(s.app.metricsUrl).toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe('metrics on the main port', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ metrics: true, cheveretoGuestKey: GUEST });
  });
  afterAll(() => s.close());

  it('serves the Prometheus text format with process metrics and the event-loop lag', async () => {
    const m = await scrape(s.url);
    expect(m.families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(m.families.get('stowage_http_request_duration_seconds')?.type).toBe('histogram');
    expect(m.families.get('stowage_active_uploads')?.type).toBe('gauge');
    expect(m.families.get('stowage_websocket_subscribers')?.type).toBe('gauge');
    expect(m.get('stowage_uploads_total', { dialect: 'filebin' })).toBe(0);
  });

  it('counters move with uploads, downloads, deletes and 404s; routes are labelled by pattern', async () => {
    const before = await scrape(s.url);
    const body = Buffer.alloc(50_000, 'x');
    const up = await fetch(`${s.url}/api/file/metrics.bin`, { method: 'PUT', body });
    expect(up.status).toBe(201);
    const { id, deleteKey } = (await up.json()) as { id: string; deleteKey: string };
    const down = await fetch(`${s.url}/api/file/${id}`);
    expect(Buffer.from(await down.arrayBuffer()).length).toBe(body.length);
    const missing = await fetch(`${s.url}/api/file/nonexistent99`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    const nowhere = await fetch(`${s.url}/no/such/page-abc123`);
    expect(nowhere.status).toBe(404);
    await nowhere.arrayBuffer();
    const del = await fetch(`${s.url}/api/file/${id}?key=${deleteKey}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await del.arrayBuffer();
    // Chevereto's upload (the guest key) counts under its own dialect.
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#36c' } })
      .png()
      .toBuffer();
    const chv = await fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      body: new URLSearchParams({ key: GUEST, source: image.toString('base64') }),
    });
    expect(chv.status).toBe(200);
    await chv.arrayBuffer();

    const after = await scrape(s.url);
    const delta = (name: string, labels: Record<string, string>) =>
      after.sum(name, labels) - before.sum(name, labels);
    expect(delta('stowage_uploads_total', { dialect: 'pixeldrain' })).toBe(1);
    expect(delta('stowage_uploads_total', { dialect: 'chevereto' })).toBe(1);
    expect(delta('stowage_deletes_total', { dialect: 'pixeldrain' })).toBe(1);
    const req = 'stowage_http_requests_total';
    expect(
      delta(req, { route: '/api/file/:name', method: 'PUT', dialect: 'pixeldrain', status: '201' }),
    ).toBe(1);
    expect(
      delta(req, { route: '/api/file/:id', method: 'GET', dialect: 'pixeldrain', status: '200' }),
    ).toBe(1);
    expect(
      delta(req, { route: '/api/file/:id', method: 'GET', dialect: 'pixeldrain', status: '404' }),
    ).toBe(1);
    expect(
      delta(req, {
        route: '/api/file/:id',
        method: 'DELETE',
        dialect: 'pixeldrain',
        status: '200',
      }),
    ).toBe(1);
    expect(delta(req, { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(delta(req, { dialect: 'chevereto', method: 'POST', status: '200' })).toBe(1);
    // The scrape before counted itself.
    expect(delta(req, { route: '/metrics', method: 'GET', status: '200' })).toBe(1);
    // Never a raw URL in a label.
    for (const sample of after.series(req)) {
      expect(sample.labels.route).not.toContain(id);
      expect(sample.labels.route).not.toContain('nonexistent99');
      expect(sample.labels.route).not.toContain('page-abc123');
    }
    // Bytes: the upload's body in, the download's body out (plus headers).
    expect(delta('stowage_http_received_bytes_total', { dialect: 'pixeldrain' })).toBeGreaterThan(
      body.length,
    );
    expect(delta('stowage_http_sent_bytes_total', { dialect: 'pixeldrain' })).toBeGreaterThan(
      body.length,
    );
    expect(delta('stowage_http_received_bytes_total', { dialect: 'chevereto' })).toBeGreaterThan(
      image.length,
    );
    expect(delta('stowage_http_request_duration_seconds_count', { dialect: 'pixeldrain' })).toBe(4);
    expect(after.get('stowage_active_uploads')).toBe(0);
    expect(after.sum('stowage_blob_store_errors_total')).toBe(0);
  });
});

describe('metrics token', () => {
  it('a scrape without the bearer token, or with another, is refused (401)', async () => {
    const s = await startServer({ metrics: true, metricsToken: TOKEN });
    try {
      for (const auth of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, TOKEN]) {
        const r = await fetch(`${s.url}/metrics`, {
          headers: auth ? { Authorization: auth } : {},
        });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(await r.text()).not.toContain('stowage_');
      }
      const m = await scrape(s.url, TOKEN);
      expect(m.families.has('stowage_http_requests_total')).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('metrics on a port of their own', () => {
  it('serves /metrics there only, with the token; the main port answers 404', async () => {
    const s = await startServer({ metrics: true, metricsPort: 0, metricsToken: TOKEN });
    try {
      const main = await fetch(`${s.url}/metrics`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(main.status).toBe(404);
      await main.arrayBuffer();
      const base = s.app.metricsUrl!;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(base).not.toBe(s.url);
      const refused = await fetch(`${base}/metrics`);
      expect(refused.status).toBe(401);
      await refused.arrayBuffer();
      const other = await fetch(`${base}/api/health`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(other.status).toBe(404);
      await other.arrayBuffer();
      const post = await fetch(`${base}/metrics`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(post.status).toBe(405);
      await post.arrayBuffer();
      // Traffic on the main port shows on the metrics port.
      const r = await fetch(`${s.url}/api/file/nothing1234`);
      await r.arrayBuffer();
      const m = await scrape(base, TOKEN);
      expect(
        m.get('stowage_http_requests_total', {
          route: '/api/file/:id',
          method: 'GET',
          dialect: 'pixeldrain',
          status: '404',
        }),
      ).toBe(1);
      // Scrapes of the metrics port are not HTTP traffic of the service.
      expect(m.sum('stowage_http_requests_total', { route: '/metrics' })).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('serve --workers 2', () => {
  /**
   * N requests on connections of their own (the primary deals connections to the workers in
   * turn), then one scrape: it must count all N, which it can only if it summed both workers.
   */
  async function countsBothWorkers(mainUrl: string, metricsBase: string): Promise<void> {
    const N = 40;
    const route = { route: '/api/health', method: 'GET', status: '200' };
    const deadline = Date.now() + 20_000;
    const processes = (x: Exposition) => x.get('stowage_metrics_processes') ?? 0;
    let m = await scrape(metricsBase);
    // Both workers started and reporting (each counts 1).
    while (processes(m) !== 2) {
      expect(processes(m)).toBeLessThan(2);
      if (Date.now() > deadline) throw new Error('the second worker never reported');
      await new Promise((r) => setTimeout(r, 200));
      m = await scrape(metricsBase);
    }
    const before = m.sum('stowage_http_requests_total', route);
    const statuses = await Promise.all(
      Array.from({ length: N }, () => getOnce(`${mainUrl}/api/health`)),
    );
    expect(statuses.every((x) => x === 200)).toBe(true);
    m = await scrape(metricsBase);
    expect(processes(m)).toBe(2);
    expect(m.sum('stowage_http_requests_total', route) - before).toBe(N);
  }

  it('on the metrics port, the primary sums its workers', async () => {
    const dir = await tempDir('stowage-metrics-');
    const metricsPort = await freePort();
    const server = await spawnServer(dir, {
      STOWAGE_WORKERS: '2',
      STOWAGE_METRICS: 'true',
      STOWAGE_METRICS_PORT: String(metricsPort),
    });
    try {
      await countsBothWorkers(server.url, `http://127.0.0.1:${metricsPort}`);
      // Not on the main port then.
      const r = await fetch(`${server.url}/metrics`);
      expect(r.status).toBe(404);
      await r.arrayBuffer();
    } finally {
      await server.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('on the main port, the worker that is asked gets the whole node from the primary', async () => {
    const dir = await tempDir('stowage-metrics-');
    const server = await spawnServer(dir, { STOWAGE_WORKERS: '2', STOWAGE_METRICS: 'true' });
    try {
      await countsBothWorkers(server.url, server.url);
    } finally {
      await server.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
