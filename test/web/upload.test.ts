// The home page's uploader in a real browser: the queue (3 at a time), progress to done, links
// that work, cancel and retry, lists, pasted text, anonymous delete links, the login prompt when
// anonymous uploads are off, and files refused up front for their size.
import crypto from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Route } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { registerAndLogin } from './accounts.js';
import { info, row, uploadedId, waitState, type FileInfo } from './upload-helpers.js';

const skip = browserUnavailable();
if (skip) console.warn(`home/upload (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('home page: uploads in a real browser', () => {
  let server: TestServer;
  /** Anonymous uploads off, and a tiny size limit. */
  let closed: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, closed, browser] = await Promise.all([
      startServer(),
      startServer({ allowAnonymousUploads: false, maxFileSize: 2000 }),
      launch(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await closed?.close();
  });

  it('uploads three files to done with working links, makes a list of them in order', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Share files' }).waitFor();
    await screenshot(page, 'home-empty');

    const png = await sharp({
      create: { width: 64, height: 48, channels: 3, background: '#2563eb' },
    })
      .png()
      .toBuffer();
    const files = [
      { name: 'pixel.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the test\n') },
      {
        name: 'random.bin',
        mimeType: 'application/octet-stream',
        buffer: crypto.randomBytes(300_000),
      },
    ];
    // The drop zone is the file input's label.
    await page.getByLabel(/Choose files/).setInputFiles(files);

    const ids: string[] = [];
    for (const f of files) {
      const r = await waitState(page, f.name, 'done');
      const bar = r.getByRole('progressbar', { name: `Upload progress of ${f.name}` });
      expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
      expect(await r.textContent()).toContain('100%');
      const id = await uploadedId(r, server.url);
      const { status, body } = await info(server, id);
      expect(status).toBe(200);
      expect(body.name).toBe(f.name);
      expect(body.size).toBe(f.buffer.length);
      // Anonymous upload: a delete link rides in the fragment.
      const del = await r.getByRole('link', { name: /#delete=/ }).getAttribute('href');
      expect(del).toMatch(new RegExp(`^${server.url}/u/${id}#delete=.+`));
      ids.push(id);
    }
    const downloaded = await fetch(`${server.url}/api/file/${ids[1]}`);
    expect(await downloaded.text()).toBe('hello from the test\n');

    // Copy all links: one per line, in queue order.
    await page.getByRole('button', { name: 'Copy all links' }).click();
    await page.getByRole('button', { name: 'Copied' }).first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      ids.map((id) => `${server.url}/u/${id}`).join('\n'),
    );

    // A list of the batch.
    await page.getByLabel('List title').fill('Test batch');
    await page.getByRole('button', { name: 'Make a list' }).click();
    const listHref = await page
      .getByRole('link', { name: new RegExp(`^${server.url}/l/`) })
      .getAttribute('href');
    const listId = listHref!.slice(`${server.url}/l/`.length);
    const list = (await (await fetch(`${server.url}/api/list/${listId}`)).json()) as {
      title: string;
      files: FileInfo[];
    };
    expect(list.title).toBe('Test batch');
    expect(list.files.map((f) => f.id)).toEqual(ids);
    await screenshot(page, 'home-done');

    // The browser remembers them.
    await page.reload();
    const recent = page.getByRole('region', { name: 'Your recent uploads on this browser' });
    await recent.waitFor();
    for (const f of files) {
      expect(await recent.getByRole('link', { name: f.name }).getAttribute('href')).toMatch(
        /^\/u\//,
      );
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('runs 3 uploads at a time; cancel while queued or uploading, then retry', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    // Hold every upload until released: the queue's state is then exact, not a race.
    const held = new Map<string, Route>();
    let threeHeld: () => void;
    const allThreeHeld = new Promise<void>((resolve) => (threeHeld = resolve));
    await page.route('**/api/file/*', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      const name = decodeURIComponent(new URL(route.request().url()).pathname.split('/').pop()!);
      held.set(name, route);
      if (held.size === 3) threeHeld();
    });
    await page.goto(`${server.url}/`);
    const names = ['one.bin', 'two.bin', 'three.bin', 'four.bin'];
    await page.getByLabel(/Choose files/).setInputFiles(
      names.map((name, i) => ({
        name,
        mimeType: 'application/octet-stream',
        buffer: crypto.randomBytes(20_000 + i),
      })),
    );
    for (const n of names.slice(0, 3)) await waitState(page, n, 'uploading');
    await waitState(page, 'four.bin', 'queued');
    expect(await page.locator('li[data-state="uploading"]').count()).toBe(3);
    await allThreeHeld; // the three requests are at the network, held
    expect([...held.keys()].sort()).toEqual(['one.bin', 'three.bin', 'two.bin']);
    await screenshot(page, 'home-queue-dark');

    // Cancel the queued one: it never starts.
    await row(page, 'four.bin').getByRole('button', { name: 'Cancel four.bin' }).click();
    await waitState(page, 'four.bin', 'cancelled');
    // Cancel one in flight: its slot frees, nothing else is waiting.
    await row(page, 'one.bin').getByRole('button', { name: 'Cancel one.bin' }).click();
    await waitState(page, 'one.bin', 'cancelled');
    expect(await page.locator('li[data-state="uploading"]').count()).toBe(2);

    // Let everything through from now on, and release what was held.
    await page.unroute('**/api/file/*');
    for (const route of held.values()) await route.continue().catch(() => undefined);
    for (const n of ['two.bin', 'three.bin']) await waitState(page, n, 'done');

    for (const n of ['four.bin', 'one.bin']) {
      await row(page, n)
        .getByRole('button', { name: `Retry ${n}` })
        .click();
    }
    for (const [i, n] of names.entries()) {
      const r = await waitState(page, n, 'done');
      const { body } = await info(server, await uploadedId(r, server.url));
      expect(body.name).toBe(n);
      expect(body.size).toBe(20_000 + i);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a slow upload shows its speed and time left, and can be cancelled mid-way', async () => {
    const { context, page, problems } = await newPage(browser);
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
    await throttle(500_000);
    await page.goto(`${server.url}/`);
    const size = 4_000_000;
    await page.getByLabel(/Choose files/).setInputFiles({
      name: 'slow.bin',
      mimeType: 'application/octet-stream',
      buffer: crypto.randomBytes(size),
    });
    const r = await waitState(page, 'slow.bin', 'uploading');
    await r.getByText(/^[\d.]+ (kB|MB)\/s$/).waitFor();
    await r.getByText(/^\d+ s left$/).waitFor();
    const sent = Number(await r.getByRole('progressbar').getAttribute('value'));
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(size);
    await screenshot(page, 'home-uploading');

    await row(page, 'slow.bin').getByRole('button', { name: 'Cancel slow.bin' }).click();
    await waitState(page, 'slow.bin', 'cancelled');
    await throttle(-1);
    await row(page, 'slow.bin').getByRole('button', { name: 'Retry slow.bin' }).click();
    const done = await waitState(page, 'slow.bin', 'done');
    expect((await info(server, await uploadedId(done, server.url))).body.size).toBe(size);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('uploads pasted text as a file', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/`);
    const text = 'Pasted text — with ünïcode ✓\nsecond line\n';
    expect(await page.getByLabel('File name').inputValue()).toBe('paste.txt');
    await page.getByLabel('Text to upload').fill(text);
    await page.getByRole('button', { name: 'Upload text' }).click();
    const r = await waitState(page, 'paste.txt', 'done');
    const id = await uploadedId(r, server.url);
    const { body } = await info(server, id);
    expect(body.name).toBe('paste.txt');
    const stored = await fetch(`${server.url}/api/file/${id}`);
    expect(await stored.text()).toBe(text);
    expect(await page.getByLabel('Text to upload').inputValue()).toBe('');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('takes files dropped anywhere on the page', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Share files' }).waitFor();
    // What the browser does for a drag from the desktop: dragenter, then drop, with the files.
    const drag = async (type: string) =>
      page.evaluate((type) => {
        const w = window as unknown as { dt?: DataTransfer };
        if (!w.dt) {
          w.dt = new DataTransfer();
          w.dt.items.add(new File(['dropped!'], 'dropped.txt', { type: 'text/plain' }));
        }
        const target = document.querySelector('footer') ?? document.body;
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: w.dt, bubbles: true, cancelable: true }),
        );
      }, type);
    await drag('dragenter');
    await page.getByText('Drop the files to upload them').waitFor();
    await drag('drop');
    await page.getByText('Drop the files to upload them').waitFor({ state: 'detached' });
    const r = await waitState(page, 'dropped.txt', 'done');
    const id = await uploadedId(r, server.url);
    expect(await (await fetch(`${server.url}/api/file/${id}`)).text()).toBe('dropped!');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('anonymous upload: a delete link, and "Delete now" deletes the file (phone size)', async () => {
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 390, height: 844 },
    });
    await page.goto(`${server.url}/`);
    await page.getByText('You are not logged in').waitFor();
    await page.getByLabel(/Choose files/).setInputFiles({
      name: 'throwaway.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('delete me'),
    });
    const r = await waitState(page, 'throwaway.txt', 'done');
    const id = await uploadedId(r, server.url);
    expect((await info(server, id)).status).toBe(200);
    const del = await r.getByRole('link', { name: /#delete=/ }).getAttribute('href');
    expect(del?.startsWith(`${server.url}/u/${id}#delete=`)).toBe(true);
    await screenshot(page, 'home-mobile');

    await r.getByRole('button', { name: 'Delete throwaway.txt now' }).click();
    await waitState(page, 'throwaway.txt', 'deleted');
    expect((await info(server, id)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('anonymous uploads off: asks to log in or register instead of the uploader', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${closed.url}/`);
    await page.getByRole('heading', { name: 'Log in or register to upload' }).waitFor();
    const main = page.getByRole('main');
    expect(await main.getByRole('link', { name: 'Log in' }).getAttribute('href')).toBe(
      '/login?redirect=/',
    );
    expect(await main.getByRole('link', { name: 'Register' }).getAttribute('href')).toBe(
      '/register',
    );
    expect(await page.locator('input[type=file]').count()).toBe(0);
    await screenshot(page, 'home-login-required');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('logged in: a note with My files; too-large files are refused before any upload', async () => {
    const { context, page, problems } = await newPage(browser);
    const username = await registerAndLogin(context, closed.url);
    const puts: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'PUT') puts.push(req.url());
    });
    await page.goto(`${closed.url}/`);
    await page.getByText(`Uploading as ${username}`).waitFor();
    expect(
      await page.getByRole('main').getByRole('link', { name: 'My files' }).getAttribute('href'),
    ).toBe('/account');

    await page.getByLabel(/Choose files/).setInputFiles([
      { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3000) },
      { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from('small') },
    ]);
    const refused = await waitState(page, 'big.bin', 'refused');
    expect(await refused.textContent()).toMatch(/more than this instance accepts \(2\.00 kB/);
    expect(await refused.getByRole('button').count()).toBe(0); // no retry for it
    const r = await waitState(page, 'small.txt', 'done');
    const id = await uploadedId(r, closed.url);
    expect((await info(closed, id)).body.size).toBe(5);
    // An account's upload: no delete link (the owner deletes from My files).
    expect(await r.getByRole('link', { name: /#delete=/ }).count()).toBe(0);
    expect(puts.map((u) => decodeURIComponent(u.split('/').pop()!))).toEqual(['small.txt']);
    expect(problems).toEqual([]);
    await context.close();
  });
});
