import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web pages (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('pages in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the 404 page: status 404, the site look, a way home, no script errors', async () => {
    const { context, page, problems } = await newPage(browser);
    const res = await page.goto(`${server.url}/u/doesnotexist`);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'File not found',
    );
    expect(
      await page.getByRole('link', { name: 'Go to the upload page' }).getAttribute('href'),
    ).toBe('/');
    await screenshot(page, '404');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the theme toggle switches themes and the choice survives a reload', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/about`);
    expect(await page.locator('html').getAttribute('data-theme')).toBe('auto');
    await page.getByRole('button', { name: /Theme: auto/ }).click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.getByRole('button', { name: /Theme: light/ }).click();
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await screenshot(page, 'about-dark');
    expect(problems).toEqual([]);
    await context.close();
  });
});
