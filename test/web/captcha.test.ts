// The captcha in a real browser: a file tipped into the hotlink rule by downloads from other
// addresses shows pixeldrain's "Rate limiting enabled!" dialog with the ALTCHA widget; solving it
// (the proof of work runs in the page's own workers, under our CSP) sends the browser to
// /api/file/{id}?download&recaptcha_response=…, and the download completes. The same payload
// replayed by someone else is refused.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { request } from '../rules-helpers.js';
import { browserUnavailable, launch, newPage } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web captcha (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('the captcha dialog in the viewer', () => {
  let server: TestServer;
  let browser: Browser;
  let key: string;

  beforeAll(async () => {
    // Two downloads and more than one per view tip a file (a low difficulty keeps the test quick).
    server = await startServer({
      hotlinkFactor: 1,
      hotlinkMinDownloads: 2,
      captchaDifficulty: 2000,
    });
    key = await createUserWithKey(server, 'uploader');
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a rate-limited file: the dialog, the widget solved, the download completes; a replay is refused', async () => {
    const body = 'bytes behind a captcha\n';
    const put = await fetch(`${server.url}/api/file/behind.txt`, {
      method: 'PUT',
      body,
      headers: { Authorization: basic(key) },
    });
    expect(put.status).toBe(201);
    const id = ((await put.json()) as { id: string }).id;
    for (const from of ['127.0.0.21', '127.0.0.22']) {
      expect((await request(`${server.url}/api/file/${id}`, { from })).status).toBe(200);
    }
    await server.app.runtime.core.traffic.flush();
    expect((await request(`${server.url}/api/file/${id}`, { from: '127.0.0.24' })).status).toBe(
      403,
    );

    const { context, page, problems } = await newPage(browser);
    try {
      await page.goto(`${server.url}/u/${id}`);
      await page.getByRole('link', { name: 'Download' }).click();
      const dialog = page.getByRole('dialog', { name: 'Rate limiting enabled!' });
      await dialog.waitFor();
      await page.locator('altcha-widget').waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 30_000 }),
        page.getByText("I'm not a robot").click(),
      ]);
      const url = new URL(download.url());
      expect(url.pathname).toBe(`/api/file/${id}`);
      expect(url.searchParams.has('download')).toBe(true);
      const payload = url.searchParams.get('recaptcha_response');
      expect(payload).toBeTruthy();
      expect(await fs.readFile((await download.path())!, 'utf8')).toBe(body);
      expect(download.suggestedFilename()).toBe('behind.txt');
      expect(problems).toEqual([]);

      // Someone else sending the same solution: used once already.
      const replay = await request(
        `${server.url}/api/file/${id}?download&recaptcha_response=${encodeURIComponent(payload!)}`,
        { from: '127.0.0.25' },
      );
      expect(replay.status).toBe(424);
      expect(replay.json().value).toBe('recpatcha_failed');
    } finally {
      await context.close();
    }
  }, 60_000);
});
