// An infected file in a real browser: the viewer shows pixeldrain's "Malware warning!" dialog with
// the ALTCHA widget; solving it downloads the file. The scan runs in a real clamd (test/clamd.ts).
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { request } from '../rules-helpers.js';
import { OWN_MARKER, startClamd, type Clamd } from '../clamd.js';
import { browserUnavailable, launch, newPage } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web malware captcha (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('the malware warning in the viewer', () => {
  let server: TestServer;
  let clamd: Clamd;
  let browser: Browser;
  let key: string;

  beforeAll(async () => {
    clamd = await startClamd();
    server = await startServer({ clamav: clamd.address, captchaDifficulty: 2000 });
    key = await createUserWithKey(server, 'uploader');
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clamd?.close();
  });

  it('an infected file: "Malware warning!", the widget solved, the download completes', async () => {
    const body = `not really malware, but it has ${OWN_MARKER} in it\n`;
    const put = await fetch(`${server.url}/api/file/flagged.txt`, {
      method: 'PUT',
      body,
      headers: { Authorization: basic(key) },
    });
    expect(put.status).toBe(201);
    const id = ((await put.json()) as { id: string }).id;
    await server.app.runtime.core.scanning!.idle();
    const refused = await request(`${server.url}/api/file/${id}`, { from: '127.0.0.31' });
    expect(refused.status).toBe(403);

    const { context, page, problems } = await newPage(browser);
    try {
      await page.goto(`${server.url}/u/${id}`);
      await page.getByRole('link', { name: 'Download' }).click();
      const dialog = page.getByRole('dialog', { name: 'Malware warning!' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toMatch(/marked as malware/);
      await page.locator('altcha-widget').waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 30_000 }),
        page.getByText("I'm not a robot").click(),
      ]);
      const url = new URL(download.url());
      expect(url.pathname).toBe(`/api/file/${id}`);
      expect(url.searchParams.get('recaptcha_response')).toBeTruthy();
      expect(await fs.readFile((await download.path())!, 'utf8')).toBe(body);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
