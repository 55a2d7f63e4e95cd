// The account pages' layouts in a real browser: the API keys on a small phone, and My files as
// thumbnails. Each test makes its own user; the API checks what the pages did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { basic, startServer, type TestServer } from '../helpers.js';
import { axeFindings, browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`account layouts (browser) suite skipped: ${skip}`);

let counter = 0;
const newName = () => `v${Date.now().toString(36)}${counter++}`;

describe.skipIf(skip !== null)('account page layouts in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ authRateLimit: 1000 }), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Register and log in through the API: the new session key. */
  async function apiUser(username: string): Promise<string> {
    const form = { username, password: 'correct horse battery' };
    const reg = await fetch(`${server.url}/api/user/register`, {
      method: 'POST',
      body: new URLSearchParams(form),
    });
    expect(reg.status).toBe(201);
    const r = await fetch(`${server.url}/api/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ ...form, app_name: 'website login' }),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { auth_key: string }).auth_key;
  }

  async function loggedIn(context: BrowserContext, key: string): Promise<void> {
    await context.addCookies([
      { name: 'pd_auth_key', value: key, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }

  async function upload(key: string, name: string, body: string): Promise<string> {
    const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { Authorization: basic(key) },
      body,
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  const waitRows = (page: Page, n: number) =>
    page.waitForFunction((n) => document.querySelectorAll('tbody td.name').length === n, n);

  it('API keys on a small phone: every key and its Revoke button within the screen', async () => {
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 375, height: 667 },
    });
    const key = await apiUser(newName());
    for (const app_name of ['backup script on the NAS in the basement', 'sharex']) {
      const r = await fetch(`${server.url}/api/user/session`, {
        method: 'POST',
        headers: { Authorization: basic(key) },
        body: new URLSearchParams({ app_name }),
      });
      expect(r.status).toBe(201);
    }
    await loggedIn(context, key);
    await page.goto(`${server.url}/account/keys`);
    await page.getByText('This session').waitFor();
    const revoke = page.getByRole('button', { name: /^Revoke key / });
    await expect.poll(() => revoke.count()).toBe(3);
    // The rows are still rows (the page's own tests find them by role).
    await page.getByRole('row', { name: /backup script on the NAS/ }).waitFor();
    const page_ = await page.evaluate(() => ({
      scroll: document.scrollingElement!.scrollWidth,
      width: innerWidth,
      box: (() => {
        const b = document.querySelector('.table-box')!;
        return { scroll: b.scrollWidth, client: b.clientWidth };
      })(),
    }));
    expect(page_.scroll).toBeLessThanOrEqual(page_.width);
    expect(page_.box.scroll).toBeLessThanOrEqual(page_.box.client);
    for (const b of await revoke.all()) {
      const r = (await b.boundingBox())!;
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.x + r.width).toBeLessThanOrEqual(375);
    }
    await screenshot(page, 'account-keys-phone');
    // Revoke works from there.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke key sharex' }).click();
    await page.getByText('Revoked the key “sharex”.').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('My files as thumbnails: the choice is remembered, sorted by a menu, selectable', async () => {
    const { context, page, problems } = await newPage(browser);
    const key = await apiUser(newName());
    await loggedIn(context, key);
    const png = await sharp({
      create: { width: 80, height: 40, channels: 3, background: '#db2777' },
    })
      .png()
      .toBuffer();
    const r = await fetch(`${server.url}/api/file/pink.png`, {
      method: 'PUT',
      headers: { Authorization: basic(key) },
      body: new Uint8Array(png),
    });
    const pink = ((await r.json()) as { id: string }).id;
    const notes = await upload(key, 'notes.txt', 'n'.repeat(5000));
    await page.goto(`${server.url}/account`);
    await waitRows(page, 2);

    await page.getByRole('button', { name: 'Thumbnails' }).click();
    expect(
      await page.getByRole('button', { name: 'Thumbnails' }).getAttribute('aria-pressed'),
    ).toBe('true');
    const grid = page.getByRole('list', { name: 'Your files' });
    await grid.waitFor();
    expect(await page.locator('table').count()).toBe(0);
    const tiles = grid.getByRole('listitem');
    const names = () => tiles.locator('.name').allTextContents();
    // Newest first, as the table was.
    expect(await names()).toEqual(['notes.txt', 'pink.png']);
    expect(await grid.getByRole('link', { name: 'pink.png' }).getAttribute('href')).toBe(
      `/u/${pink}`,
    );
    // The thumbnails of the API: a picture for the image, an icon for the text.
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('ul img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(
      await tiles.locator('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src'))),
    ).toEqual([`/api/file/${notes}/thumbnail`, `/api/file/${pink}/thumbnail`]);
    await page.getByLabel('Sort by').selectOption('size:ascending');
    expect(await names()).toEqual(['pink.png', 'notes.txt']);
    await page.getByLabel('Select notes.txt').check();
    await page.getByText('1 selected · 5.00 kB').waitFor();
    await screenshot(page, 'account-files-grid');
    expect(await axeFindings(page)).toEqual([]);

    // Remembered on this browser.
    await page.reload();
    await grid.waitFor();
    expect(await names()).toEqual(['notes.txt', 'pink.png']);
    await page.getByRole('button', { name: 'Table' }).click();
    await waitRows(page, 2);
    await page.reload();
    await waitRows(page, 2);
    expect(await grid.count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
