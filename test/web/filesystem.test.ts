// The directory browser (/d/{path}) in chromium: a user's own tree at /d/me — a new folder, an
// upload into it with progress, a rename, a move by drag and drop, a public link that works
// logged out, a delete — and the thumbnail view.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { registerAndLogin } from './accounts.js';

const skip = browserUnavailable();
if (skip) console.warn(`directory browser (browser) suite skipped: ${skip}`);

interface Stat {
  path: Array<{ path: string; name: string; type: string; id?: string }>;
  base_index: number;
  children: Array<{ path: string; name: string; type: string; file_size: number }>;
}

/** The stat of `path` through the API, with the context's cookie. */
async function statOf(context: BrowserContext, server: TestServer, path: string) {
  const enc = path.split('/').map(encodeURIComponent).join('/');
  const r = await context.request.get(`${server.url}/api/filesystem${enc}?stat`);
  return { status: r.status(), body: (await r.json()) as Stat };
}

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page (as test/web/a11y.test.ts runs it). */
async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run: (o: unknown) => Promise<{ violations: unknown[] }> };
    };
    return (await w.axe.run({ resultTypes: ['violations'] })).violations;
  })) as Array<{ id: string; impact: string | null; nodes: { target: string[] }[] }>;
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** The row of `name` in the list view. */
const row = (page: Page, name: string) =>
  page.locator('tbody tr').filter({ has: page.getByRole('link', { name, exact: true }) });

describe.skipIf(skip !== null)('the directory browser in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('folder, upload with progress, rename, share (works logged out), delete', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await registerAndLogin(context, server.url);

    // The header links to the own tree.
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'My folders' }).click();
    await page.waitForURL(`${server.url}/d/me`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('My files');
    expect(
      await page.evaluate(() => (window as { initial_node?: Stat }).initial_node?.path[0]?.path),
    ).toBe('/me');

    // A new folder (a name with a space and a #: each component is encoded on its own).
    const folder = 'Holiday #1';
    await page.getByRole('button', { name: 'New folder' }).click();
    const dialog = page.getByTestId('name-dialog');
    await dialog.getByLabel('Name').fill(folder);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await row(page, folder).waitFor();
    expect((await statOf(context, server, `/me/${folder}`)).status).toBe(200);

    // Into it (without reloading the page), then upload a file with progress.
    await page.getByRole('link', { name: folder, exact: true }).click();
    await page.waitForURL(`${server.url}/d/me/${encodeURIComponent(folder)}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(folder);
    await page.getByText('This folder is empty.').waitFor();
    // The browser's back and forward buttons move between the folders shown.
    await page.goBack();
    await page.waitForURL(`${server.url}/d/me`);
    await row(page, folder).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('My files');
    await page.goForward();
    await page.getByText('This folder is empty.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(folder);
    const text = `${'Sunny days. '.repeat(50)}\n`.repeat(1000); // 601 kB
    // Chromium's own upload throttling: a real upload in flight, slow enough to watch.
    const cdp = await context.newCDPSession(page);
    const throttle = (uploadThroughput: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput,
      });
    await cdp.send('Network.enable');
    await throttle(150_000);
    await page.getByLabel('Upload files').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(text),
    });
    const uploading = page.locator('li[data-state="uploading"]').filter({ hasText: 'notes.txt' });
    await uploading.getByText(/^[\d.]+ (kB|MB)\/s$/).waitFor();
    const sent = Number(await uploading.getByRole('progressbar').getAttribute('value'));
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(text.length);
    await throttle(-1);
    const item = page.locator('li[data-state="done"]').filter({ hasText: 'notes.txt' });
    await item.waitFor();
    const bar = page.getByRole('progressbar', { name: 'Upload progress of notes.txt' });
    expect(await bar.getAttribute('value')).toBe(String(text.length));
    expect(await bar.getAttribute('max')).toBe(String(text.length));
    expect(await item.textContent()).toContain('100%');
    // The listing shows it once done, with its size.
    await row(page, 'notes.txt').waitFor();
    expect(await row(page, 'notes.txt').textContent()).toContain('601 kB');
    let stat = await statOf(context, server, `/me/${folder}`);
    expect(stat.body.children.map((c) => [c.name, c.file_size])).toEqual([
      ['notes.txt', text.length],
    ]);

    // Its page previews it as text; the download link is the API's ?attach.
    await page.getByRole('link', { name: 'notes.txt', exact: true }).click();
    await page.waitForURL(/\/notes\.txt$/);
    await expect.poll(() => page.getByTestId('text-content').textContent()).toBe(text);
    await screenshot(page, 'fs-file');
    expect(await page.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(
      `/api/filesystem/me/${encodeURIComponent(folder)}/notes.txt?attach`,
    );

    // Rename it from its page: the page follows it.
    await page.getByRole('button', { name: 'Rename or move' }).click();
    await dialog.getByLabel('Name').fill('diary.txt');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/diary\.txt$/);
    expect(await page.locator('[data-file-heading]').textContent()).toBe('diary.txt');
    stat = await statOf(context, server, `/me/${folder}`);
    expect(stat.body.children.map((c) => c.name)).toEqual(['diary.txt']);

    // Back to the top by the breadcrumbs; share the folder.
    await page
      .getByRole('navigation', { name: 'Breadcrumbs' })
      .getByRole('link', { name: 'My files' })
      .click();
    await page.waitForURL(`${server.url}/d/me`);
    await page.getByRole('button', { name: `Share ${folder}` }).click();
    const share = page.getByTestId('share-dialog');
    await share.getByRole('button', { name: 'Make a public link' }).click();
    const link = (await share.getByTestId('share-link').getAttribute('href'))!;
    expect(link).toMatch(new RegExp(`^${server.url}/d/[A-Za-z0-9]+$`));
    await share.getByRole('button', { name: 'Copy link' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await share.getByRole('button', { name: 'Close' }).click();
    expect(await row(page, folder).textContent()).toContain('shared');
    await screenshot(page, 'fs-root');

    // Logged out, the link shows the folder, read only, and its file.
    const anon = await newPage(browser);
    const res = await anon.page.goto(link);
    expect(res?.status()).toBe(200);
    await row(anon.page, 'diary.txt').waitFor();
    expect(await anon.page.getByRole('button', { name: 'New folder' }).count()).toBe(0);
    expect(await anon.page.getByLabel('Upload files').count()).toBe(0);
    await anon.page.getByRole('link', { name: 'diary.txt', exact: true }).click();
    await expect.poll(() => anon.page.getByTestId('text-content').textContent()).toBe(text);
    const download = await anon.page.getByRole('link', { name: 'Download' }).getAttribute('href');
    const bytes = await anon.context.request.get(`${server.url}${download}`);
    expect(bytes.status()).toBe(200);
    expect(await bytes.text()).toBe(text);
    expect(anon.problems).toEqual([]);

    // Delete the folder (with what is in it), after confirming.
    await page.getByRole('button', { name: `Delete ${folder}` }).click();
    const confirm = page.getByTestId('delete-dialog');
    expect(await confirm.textContent()).toContain('everything in it');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await row(page, folder).waitFor({ state: 'detached' });
    expect((await statOf(context, server, `/me/${folder}`)).status).toBe(404);
    // The public link is gone with it.
    expect((await anon.page.goto(link))?.status()).toBe(404);
    await anon.context.close();

    expect(problems).toEqual([]);
    await context.close();
  });

  it('moves by dragging onto a folder and onto a breadcrumb; thumbnails view', async () => {
    const { context, page, problems } = await newPage(browser);
    await registerAndLogin(context, server.url);
    const png = await sharp({
      create: { width: 64, height: 48, channels: 3, background: '#2b2' },
    })
      .png()
      .toBuffer();
    for (const name of ['inbox', 'archive']) {
      const r = await context.request.post(`${server.url}/api/filesystem/me/${name}`, {
        form: { action: 'mkdir' },
      });
      expect(r.status()).toBe(201);
    }
    const put = await context.request.put(`${server.url}/api/filesystem/me/inbox/green.png`, {
      data: png,
    });
    expect(put.status()).toBe(200);

    await page.goto(`${server.url}/d/me/inbox`);
    await row(page, 'green.png').waitFor();
    // Onto the breadcrumb of the root: green.png moves to /me.
    await page
      .locator('tbody tr[data-path="/me/inbox/green.png"]')
      .dragTo(
        page
          .getByRole('navigation', { name: 'Breadcrumbs' })
          .getByRole('link', { name: 'My files' }),
      );
    await page.getByText('This folder is empty.').waitFor();
    expect((await statOf(context, server, '/me/green.png')).status).toBe(200);

    // At the root, onto the folder "archive".
    await page
      .getByRole('navigation', { name: 'Breadcrumbs' })
      .getByRole('link', { name: 'My files' })
      .click();
    await row(page, 'green.png').waitFor();
    await row(page, 'green.png').dragTo(row(page, 'archive'));
    await row(page, 'green.png').waitFor({ state: 'detached' });
    const archive = await statOf(context, server, '/me/archive');
    expect(archive.body.children.map((c) => c.path)).toEqual(['/me/archive/green.png']);

    // Thumbnails: the image's tile shows its thumbnail.
    await page.getByRole('link', { name: 'archive', exact: true }).click();
    await page.getByRole('button', { name: 'Thumbnails' }).click();
    const thumb = page.locator('.grid li[data-path="/me/archive/green.png"] img');
    await thumb.waitFor();
    await expect
      .poll(() => thumb.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0))
      .toBe(true);
    await screenshot(page, 'fs-grid');

    // The tile's menu: share the image, then stop sharing it; its link then leads nowhere.
    const tile = page.locator('.grid li[data-path="/me/archive/green.png"]');
    await tile.getByLabel('Actions for green.png').click();
    await tile.getByRole('button', { name: 'Share' }).click();
    const share = page.getByTestId('share-dialog');
    await share.getByRole('button', { name: 'Make a public link' }).click();
    const link = (await share.getByTestId('share-link').getAttribute('href'))!;
    expect((await fetch(link)).status).toBe(200);
    await share.getByRole('button', { name: 'Stop sharing' }).click();
    await share.getByRole('button', { name: 'Make a public link' }).waitFor();
    expect((await fetch(link, { headers: { Accept: 'text/html' } })).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('has no serious accessibility findings: list, thumbnails, a dialog, a file; both themes', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    await registerAndLogin(context, server.url);
    const mk = await context.request.post(`${server.url}/api/filesystem/me/photos`, {
      form: { action: 'mkdir' },
    });
    expect(mk.status()).toBe(201);
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#48c' } })
      .png()
      .toBuffer();
    await context.request.put(`${server.url}/api/filesystem/me/photos/pic.png`, { data: png });
    const found: string[] = [];
    const host = new URL(server.url).hostname;
    for (const theme of ['light', 'dark']) {
      await context.addCookies([{ name: 'theme', value: theme, domain: host, path: '/' }]);
      const page = await context.newPage();
      await page.goto(`${server.url}/d/me/photos`);
      await page.waitForLoadState('networkidle');
      for (const v of await axe(page)) found.push(`${theme} list: ${v}`);
      await page.getByRole('button', { name: 'Thumbnails' }).click();
      await page.waitForLoadState('networkidle');
      for (const v of await axe(page)) found.push(`${theme} thumbnails: ${v}`);
      await page.getByRole('button', { name: 'List' }).click();
      await page.getByRole('button', { name: 'Rename or move pic.png' }).click();
      for (const v of await axe(page)) found.push(`${theme} dialog: ${v}`);
      await page.goto(`${server.url}/d/me/photos/pic.png`);
      await page.waitForLoadState('networkidle');
      for (const v of await axe(page)) found.push(`${theme} file: ${v}`);
      await page.close();
    }
    expect(found).toEqual([]);
    await context.close();
  });
});
