// The viewer's live counters in a real browser: opening /u/{id} subscribes over the file_stats
// websocket (that is the view), the counters move while the page is open, opening an item of a
// list counts that file, and the socket comes back after the server drops it.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web live stats (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('live counters in the viewer', () => {
  let server: TestServer;
  let browser: Browser;
  let key: string;

  async function upload(name: string, body: string): Promise<string> {
    const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body,
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  async function views(id: string): Promise<number> {
    await server.app.runtime.core.traffic.flush();
    const r = await fetch(`${server.url}/api/file/${id}/info`);
    return ((await r.json()) as { views: number }).views;
  }

  /** Download the file from another client address (a download the page did not make). */
  function downloadFrom(id: string, localAddress: string): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get(`${server.url}/api/file/${id}`, { localAddress, agent: false }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
          res.on('error', reject);
        })
        .on('error', reject);
    });
  }

  /** A view from another client address, the way the viewer counts one. */
  async function viewFrom(id: string, localAddress: string): Promise<WebSocket> {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/file_stats`, {
      localAddress,
    });
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'file_stats', data: { file_id: id } }));
    await new Promise((r) => ws.once('message', r));
    return ws;
  }

  const text = (page: Page, testId: string) =>
    page
      .locator(`[data-file-heading] ~ * [data-testid="${testId}"], [data-testid="${testId}"]`)
      .first()
      .textContent();

  async function until(page: Page, testId: string, expected: string, ms = 10_000) {
    await page.waitForFunction(
      ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === want,
      [testId, expected] as const,
      { timeout: ms },
    );
  }

  beforeAll(async () => {
    server = await startServer({ statsPollMs: 100 });
    key = await createUserWithKey(server, 'live-owner');
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the page counts its view and shows views, downloads and bandwidth as they change', async () => {
    const body = 'live counters, thirty bytes..';
    const id = await upload('live.bin', body);
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${id}`);
    // Rendered before any script: no view yet (the page itself counts nothing).
    // Then the websocket subscription counts this visitor's view.
    await until(page, 'views', '1 view');
    expect(await views(id)).toBe(1);
    const before = Number((await text(page, 'downloads'))!.split(' ')[0]);
    // Someone else downloads: the open page hears it.
    expect(await downloadFrom(id, '127.0.0.2')).toBe(body);
    await until(page, 'downloads', `${before + 1} downloads`);
    expect(await text(page, 'bandwidth')).toMatch(/^\d+ B transferred$/);
    expect(Number((await text(page, 'bandwidth'))!.split(' ')[0])).toBeGreaterThanOrEqual(
      body.length,
    );
    // Another visitor's view: the count goes up.
    const other = await viewFrom(id, '127.0.0.3');
    await until(page, 'views', '2 views');
    other.close();
    // Reloading the page is the same visitor: still two.
    await page.reload();
    await until(page, 'views', '2 views');
    await new Promise((r) => setTimeout(r, 300));
    expect(await views(id)).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reconnects after the server drops the socket', async () => {
    const id = await upload('reconnect.bin', 'reconnect me');
    // The sockets the server upgrades (every 'upgrade' listener sees them): cut them below.
    const upgraded: Duplex[] = [];
    const watch = (_req: unknown, socket: Duplex) => upgraded.push(socket);
    server.app.server.server.on('upgrade', watch);
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${id}`);
    await until(page, 'views', '1 view');
    server.app.server.server.off('upgrade', watch);
    expect(upgraded.length).toBeGreaterThan(0);
    for (const socket of upgraded) socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    await viewFrom(id, '127.0.0.4').then((ws) => ws.close());
    // The page reconnects (2 s, with jitter) and hears the new count.
    await until(page, 'views', '2 views', 15_000);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('opening an item of a list counts a view of that file, not of the others', async () => {
    const a = await upload('first.txt', 'first file');
    const b = await upload('second.txt', 'second file');
    const r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(key) },
      body: JSON.stringify({ title: 'Two files', files: [{ id: a }, { id: b }] }),
    });
    expect(r.status).toBe(201);
    const list = ((await r.json()) as { id: string }).id;
    const { context, page, problems } = await newPage(browser);
    // The gallery alone counts nothing.
    await page.goto(`${server.url}/l/${list}`);
    await page.locator('.gallery img').first().waitFor();
    await new Promise((r) => setTimeout(r, 500));
    expect([await views(a), await views(b)]).toEqual([0, 0]);
    // Opening the second item counts it.
    await page.goto(`${server.url}/l/${list}#item=1`);
    await page.locator('[data-file-heading]').waitFor();
    await until(page, 'views', '1 view');
    expect([await views(a), await views(b)]).toEqual([0, 1]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
