// One visitor's way through the pages, end to end in chromium: upload three files from the home
// page, make a list of the batch, open it, page through it with the keyboard, open one file's
// viewer and see its image. Each page checks itself elsewhere; this checks they fit together.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web journey (browser) suite skipped: ${skip}`);

async function png(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

describe.skipIf(skip !== null)('a visitor’s journey through the pages', () => {
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

  it('uploads three files, makes a list of them, pages through it, opens an image', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(`${server.url}/`);
    const names = ['red.png', 'green.png', 'blue.png'];
    const colours = ['#d22', '#2b2', '#22d'];
    await page.getByLabel(/Choose files/).setInputFiles(
      await Promise.all(
        names.map(async (name, i) => ({
          name,
          mimeType: 'image/png',
          buffer: await png(colours[i]!),
        })),
      ),
    );
    // Three progress bars, each reaching done.
    for (const name of names) {
      await page.locator('li[data-state="done"]').filter({ hasText: name }).waitFor();
      const bar = page.getByRole('progressbar', { name: `Upload progress of ${name}` });
      expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    }

    await page.getByLabel('List title').fill('Colours');
    await page.getByRole('button', { name: 'Make a list' }).click();
    const listLink = page.getByRole('link', { name: new RegExp(`^${server.url}/l/`) });
    await listLink.waitFor();
    const listUrl = (await listLink.getAttribute('href'))!;

    // The list: a gallery of the three, in upload order.
    await page.goto(listUrl);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Colours');
    const thumbs = page.locator('.gallery img');
    await expect.poll(() => thumbs.count()).toBe(3);
    await page.getByRole('link', { name: /red\.png/ }).click();
    const heading = page.locator('[data-file-heading]');
    await heading.waitFor();
    expect(await heading.textContent()).toBe('red.png');
    await page.keyboard.press('ArrowRight');
    expect(await heading.textContent()).toBe('green.png');
    await page.keyboard.press('ArrowRight');
    expect(await heading.textContent()).toBe('blue.png');
    await page.keyboard.press('ArrowLeft');
    expect(await heading.textContent()).toBe('green.png');

    // The file's own viewer, from the list data: the image is shown at its real size.
    const list = (await (
      await fetch(`${server.url}/api/list/${listUrl.split('/l/')[1]}`)
    ).json()) as {
      files: { id: string; name: string }[];
    };
    expect(list.files.map((f) => f.name)).toEqual(names);
    await page.goto(`${server.url}/u/${list.files[2]!.id}`);
    const img = page.getByRole('img', { name: 'blue.png' });
    await img.waitFor();
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
      .toBe(64);
    await screenshot(page, 'journey-viewer');
    expect(problems).toEqual([]);
    await context.close();
  });
});
