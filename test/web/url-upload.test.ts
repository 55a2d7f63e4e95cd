// The home page's "Upload from a URL" in a real browser: hidden when the server has URL uploads
// off; with them on, the server's progress shown while it fetches, then a link that works (and a
// delete link for an anonymous upload); a failed fetch says why.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`home/URL upload (browser) suite skipped: ${skip}`);

const SIZE = 256 * 1024;
const DATA = Buffer.alloc(SIZE, 'stowage');

describe.skipIf(skip !== null)('home page: upload from a URL in a real browser', () => {
  let origin: http.Server;
  let base: string;
  let server: TestServer;
  let off: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    origin = http.createServer((req, res) => {
      if (req.url === '/photos/slow.bin') {
        // 256 KiB over about two seconds: the page has progress to show.
        res.writeHead(200, { 'Content-Length': SIZE, 'Content-Type': 'application/octet-stream' });
        let i = 0;
        const t = setInterval(() => {
          res.write(DATA.subarray(i * 4096, (i + 1) * 4096));
          if (++i === SIZE / 4096) {
            clearInterval(t);
            res.end();
          }
        }, 30);
        res.on('close', () => clearInterval(t));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    [server, off, browser] = await Promise.all([
      startServer({ urlUploads: true, urlUploadsAllow: '127.0.0.1' }),
      startServer(),
      launch(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await off?.close();
    origin?.closeAllConnections();
    await new Promise((r) => origin?.close(r));
  });

  it('is not offered when the server has URL uploads off', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${off.url}/`);
    await page.getByRole('heading', { name: 'Share files' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Upload from a URL' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the progress the server streams, then a working link and a delete link', async () => {
    const { page, problems } = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await page.goto(`${server.url}/`);
    const section = page.getByRole('region', { name: 'Upload from a URL' });
    await section.waitFor();
    await section.getByLabel('URL of the file').fill(`${base}/photos/slow.bin`);
    await section.getByRole('button', { name: 'Fetch' }).click();
    // Bytes received, of the total the origin declared.
    await section.getByText(/ of 262 kB \(\d+%\) received/).waitFor();
    await screenshot(page, 'home-url-upload-progress');
    const link = section.getByTestId('url-upload-link');
    await link.waitFor({ timeout: 20_000 });
    const href = (await link.getAttribute('href'))!;
    expect(href.startsWith(`${server.url}/u/`)).toBe(true);
    const id = decodeURIComponent(href.slice(`${server.url}/u/`.length));
    const bytes = Buffer.from(await (await fetch(`${server.url}/api/file/${id}`)).arrayBuffer());
    expect(bytes.equals(DATA)).toBe(true);
    const info = (await (await fetch(`${server.url}/api/file/${id}/info`)).json()) as {
      name: string;
    };
    expect(info.name).toBe('slow.bin');
    // Anonymous: the delete link carries the key in the fragment.
    expect(await section.getByRole('link', { name: /#delete=/ }).count()).toBe(1);
    // It joins "your recent uploads" like the other uploads.
    await page.getByRole('link', { name: 'slow.bin' }).first().waitFor();
    await screenshot(page, 'home-url-upload-done');
    expect(problems).toEqual([]);
  });

  it('says why a fetch failed, with the name asked for', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.url}/`);
    const section = page.getByRole('region', { name: 'Upload from a URL' });
    await section.getByLabel('URL of the file').fill(`${base}/missing.bin`);
    await section.getByLabel('File name').fill('wanted.bin');
    await section.getByRole('button', { name: 'Fetch' }).click();
    await expect
      .poll(() => section.getByRole('alert').textContent())
      .toBe('The URL answered with HTTP 404');
    expect(problems).toEqual([]);
  });
});
