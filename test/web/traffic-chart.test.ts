// The traffic charts in a real browser: the viewer's "Traffic" panel loads uPlot only when it is
// opened and draws the file's series; the account page draws the user's. No CSP violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`traffic chart (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('traffic charts in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let key: string;
  let id: string;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    key = await createUserWithKey(server, 'charter');
    const r = await fetch(`${server.url}/api/file/chart.txt`, {
      method: 'PUT',
      headers: { Authorization: basic(key) },
      body: 'x'.repeat(2000),
    });
    expect(r.status).toBe(201);
    id = ((await r.json()) as { id: string }).id;
    // Traffic from three clients, and two views (the websocket's part, through the core here).
    const { traffic } = server.app.runtime.core;
    for (const c of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      traffic.download(id, c);
      traffic.sent(id, 2000);
    }
    traffic.view(id, '198.51.100.1');
    traffic.view(id, '198.51.100.2');
    await traffic.flush();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /**
   * The summary under the chart matches the file's counters (the page itself adds a view and its
   * preview a download, so they are read from the API, not assumed).
   */
  async function summaryMatchesCounters(page: Page): Promise<void> {
    await expect
      .poll(async () => {
        const text = (await page.textContent('[data-testid="traffic-summary"]')) ?? '';
        const f = (await (await fetch(`${server.url}/api/file/${id}/info`)).json()) as {
          views: number;
          downloads: number;
        };
        return { text: text.replace(/, Bandwidth: [\d.]+ kB$/, ''), f };
      })
      .toSatisfy(
        ({ text, f }: { text: string; f: { views: number; downloads: number } }) =>
          f.downloads >= 3 &&
          f.views >= 2 &&
          text === `Views: ${f.views}, Downloads: ${f.downloads}`,
      );
  }

  /** Scripts the page loaded so far. */
  const scripts = (page: Page) =>
    page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .filter((n) => n.endsWith('.js')),
    );

  it('the viewer draws the file traffic when the panel is opened, not before', async () => {
    const { context, page, problems } = await newPage(browser);
    try {
      await page.goto(`${server.url}/u/${id}`);
      await page.waitForSelector('[data-testid="traffic"] summary');
      expect((await scripts(page)).some((s) => /uplot/i.test(s))).toBe(false);
      expect(await page.locator('.uplot').count()).toBe(0);

      await page.click('[data-testid="traffic"] summary');
      await page.waitForSelector('[data-testid="traffic-chart"] .uplot canvas');
      expect((await scripts(page)).some((s) => /uplot/i.test(s))).toBe(true);
      await summaryMatchesCounters(page);
      // The canvas has a size and the legend names the series.
      const box = await page.locator('[data-testid="traffic-chart"] canvas').boundingBox();
      expect(box!.width).toBeGreaterThan(150);
      expect(box!.height).toBeGreaterThan(100);
      const legend = await page.locator('[data-testid="traffic-chart"] .u-legend').textContent();
      expect(legend).toContain('Downloads');

      // Another period: fetched and drawn again, the totals unchanged.
      await page.selectOption('[data-testid="traffic"] select', '24h');
      await summaryMatchesCounters(page);
      expect(await page.locator('[data-testid="traffic-chart"] .uplot').count()).toBe(1);
      await screenshot(page, 'traffic-chart-viewer');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the account page draws the user's totals", async () => {
    const { context, page, problems } = await newPage(browser);
    try {
      await context.addCookies([
        { name: 'pd_auth_key', value: key, url: server.url, httpOnly: true, sameSite: 'Lax' },
      ]);
      await page.goto(`${server.url}/account`);
      await page.click('[data-testid="traffic"] summary');
      await page.waitForSelector('[data-testid="traffic-chart"] .uplot canvas');
      await summaryMatchesCounters(page);
      await screenshot(page, 'traffic-chart-account');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
