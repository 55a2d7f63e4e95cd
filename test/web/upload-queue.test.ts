// The upload page with many files and with pasted ones, in a real browser: a long queue folds its
// finished rows (on a small phone), and files pasted onto the page are uploaded under sensible
// names.
import crypto from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { axeFindings, browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { info, row, uploadedId, waitState } from './upload-helpers.js';

const skip = browserUnavailable();
if (skip) console.warn(`home/upload queue (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('home page: a long queue and pasted files', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ten uploads on a small phone: finished rows fold to one line, a failed one stays open', async () => {
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 375, height: 667 },
    });
    // One upload fails at the network; the others go through.
    await page.route('**/api/file/*', (route) =>
      route.request().method() === 'PUT' && route.request().url().endsWith('/broken.bin')
        ? route.abort('connectionreset')
        : route.continue(),
    );
    await page.goto(`${server.url}/`);
    const names = Array.from({ length: 9 }, (_, i) => `holiday photo number ${i + 1}.jpg`);
    await page.getByLabel(/Choose files/).setInputFiles([
      ...names.map((name, i) => ({
        name,
        mimeType: 'image/jpeg',
        buffer: crypto.randomBytes(5_000 + i),
      })),
      { name: 'broken.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(100) },
    ]);
    const rows = [];
    for (const n of names) rows.push(await waitState(page, n, 'done'));
    const failed = await waitState(page, 'broken.bin', 'failed');

    const queue = page.getByRole('region', { name: 'Uploads', exact: true });
    const height = (await queue.boundingBox())!.height;
    expect(height).toBeLessThan(1000);
    const overflow = await page.evaluate(
      () => document.scrollingElement!.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    // A folded row is one line: its link, size, copy and details buttons side by side.
    const first = rows[0]!;
    const rowBox = (await first.boundingBox())!;
    const copyBox = (await first.getByRole('button', { name: 'Copy link' }).boundingBox())!;
    expect(rowBox.height).toBeLessThan(copyBox.height * 1.8);
    expect(copyBox.x + copyBox.width).toBeLessThanOrEqual(375);
    expect(await first.getByRole('progressbar').count()).toBe(0);
    // Its link is the file's viewer.
    const id = await uploadedId(first, server.url);
    expect((await info(server, id)).body.name).toBe(names[0]);
    expect(await first.getByRole('link', { name: names[0] }).getAttribute('href')).toBe(
      `${server.url}/u/${id}`,
    );
    // The failed row keeps its message and Retry.
    await failed.getByRole('button', { name: 'Retry broken.bin' }).waitFor();
    expect(await failed.locator('.error-text').count()).toBe(1);
    await screenshot(page, 'home-queue-phone');
    expect(await axeFindings(page)).toEqual([]);

    // The details open in place: the delete link of this anonymous upload, and fold again.
    await page.getByText("Each file's delete link is in its details").waitFor();
    const details = first.getByRole('button', { name: `Details of ${names[0]}` });
    expect(await details.getAttribute('aria-expanded')).toBe('false');
    await details.click();
    const open = row(page, names[0]!);
    // The toggle keeps the focus across the redraw.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const el = document.activeElement;
          return el ? `${el.getAttribute('aria-label')} ${el.getAttribute('aria-expanded')}` : '';
        }),
      )
      .toBe(`Details of ${names[0]} true`);
    const del = await open.getByRole('link', { name: /#delete=/ }).getAttribute('href');
    expect(del).toMatch(new RegExp(`^${server.url}/u/${id}#delete=.+`));
    await open.getByRole('button', { name: `Details of ${names[0]}` }).click();
    expect(await open.getByRole('link', { name: /#delete=/ }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a file pasted onto the page is uploaded, a screenshot under a dated name', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Share files' }).waitFor();
    const png = await sharp({
      create: { width: 20, height: 10, channels: 3, background: '#16a34a' },
    })
      .png()
      .toBuffer();
    /** Paste a file named `name` onto the element matched by `selector`. */
    const paste = (selector: string, name: string) =>
      page.evaluate(
        ({ selector, name, bytes }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
          const target = document.querySelector(selector)!;
          return target.dispatchEvent(
            new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }),
          );
        },
        { selector, name, bytes: [...png] },
      );
    // Into a text field: the field's business, not an upload.
    expect(await paste('textarea', 'image.png')).toBe(true);
    // Onto the page: taken (the default prevented) and uploaded.
    expect(await paste('main', 'image.png')).toBe(false);
    const r = page.locator('li[data-state="done"]');
    await r.waitFor();
    const name = (await r.locator('.name').textContent())!;
    expect(name).toMatch(/^pasted-\d{4}-\d{2}-\d{2}-\d{6}\.png$/);
    const { status, body } = await info(server, await uploadedId(r, server.url));
    expect(status).toBe(200);
    expect(body.name).toBe(name);
    expect(body.size).toBe(png.length);
    // A file with a name of its own keeps it.
    expect(await paste('main', 'diagram.png')).toBe(false);
    await waitState(page, 'diagram.png', 'done');
    // The paste into the text field added nothing: two rows in all.
    expect(await page.locator('li[data-state]').count()).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });
});
