// Embedding in a real browser: another site frames the viewer only when the file's owner allows
// it (embed_domains, CSP frame-ancestors); the owner's Embed dialog and Sharing settings.
// The other sites are http://allowed.example.test and http://denied.example.test, answered by a
// small HTTP proxy of this test (chromium goes to 127.0.0.1, the server, directly).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, CHROMIUM, newPage } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`embed (browser) suite skipped: ${skip}`);

describe.skipIf(skip !== null)('embedding the viewer', () => {
  let server: TestServer;
  let proxy: http.Server;
  let browser: Browser;
  let key: string;
  let fileId: string;

  const putUser = (fields: Record<string, string>) =>
    fetch(`${server.url}/api/user`, {
      method: 'PUT',
      body: new URLSearchParams(fields),
      headers: { Authorization: basic(key) },
    });

  beforeAll(async () => {
    server = await startServer();
    key = await createUserWithKey(server, 'framer');
    const r = await fetch(`${server.url}/api/file/framed.txt`, {
      method: 'PUT',
      body: 'framed text',
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    fileId = ((await r.json()) as { id: string }).id;
    // Every page of every other site: a frame of the viewer.
    proxy = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>host</title><iframe id="f" src="${server.url}/u/${fileId}?embed" width="800" height="600"></iframe>`,
      );
    });
    proxy.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        `--proxy-server=http://127.0.0.1:${port}`,
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => proxy?.close(resolve));
    await server?.close();
  });

  /**
   * A page of `site` framing the viewer: the viewer's heading inside the frame when it loads, or
   * null once chromium reports the refusal (a frame-ancestors violation on the console).
   */
  async function framedHeading(site: string): Promise<string | null> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused = page
      .waitForEvent('console', (m: ConsoleMessage) => /frame-ancestors/.test(m.text()))
      .then(() => null);
    const heading = page.frameLocator('#f').locator('[data-file-heading]');
    await page.goto(`http://${site}/`);
    const result = await Promise.race([refused, heading.textContent()]);
    if (result === null) expect(await heading.count()).toBe(0);
    await context.close();
    return result;
  }

  it('another site frames the viewer only when the owner allows it', async () => {
    expect((await putUser({ embed_domains: 'allowed.example.test' })).status).toBe(200);
    expect(await framedHeading('allowed.example.test')).toBe('framed.txt');
    expect(await framedHeading('denied.example.test')).toBeNull();
    // The setting removed: refused there too.
    expect((await putUser({ embed_domains: '' })).status).toBe(200);
    expect(await framedHeading('allowed.example.test')).toBeNull();
  });

  it('the owner sets the sites in Sharing settings and finds them in the Embed dialog', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.addCookies([{ name: 'pd_auth_key', value: key, url: server.url }]);
    await page.goto(`${server.url}/account/settings`);
    const field = page.getByLabel('Sites that may embed my files’ viewer');
    await field.fill('blog.example.com; script-src *');
    await page.getByRole('button', { name: 'Save sharing settings' }).click();
    await page.locator('#embed-domains-error').waitFor();
    expect(await page.locator('#embed-domains-error').textContent()).toContain('not a domain name');
    await field.fill('blog.example.com *.cdn.example.org');
    await page.getByRole('button', { name: 'Save sharing settings' }).click();
    await page.getByText('Sharing settings saved.').waitFor();
    const user = (await (
      await fetch(`${server.url}/api/user`, { headers: { Authorization: basic(key) } })
    ).json()) as Record<string, unknown>;
    expect(user.file_embed_domains).toBe('blog.example.com *.cdn.example.org');

    await page.goto(`${server.url}/u/${fileId}`);
    await page.getByRole('button', { name: 'Embed' }).click();
    const dialog = page.getByTestId('embed-dialog');
    await dialog.waitFor();
    expect(await dialog.getByLabel('Viewer in a frame (HTML)').inputValue()).toContain(
      `<iframe src="${server.url}/u/${fileId}?embed"`,
    );
    expect(await dialog.getByLabel('Direct link to the file').inputValue()).toBe(
      `${server.url}/api/file/${fileId}`,
    );
    expect(await dialog.getByTestId('embed-note').textContent()).toContain(
      'blog.example.com, *.cdn.example.org',
    );
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Skip the viewer: the owner's own link now opens the file.
    await page.goto(`${server.url}/account/settings`);
    await page.getByLabel(/open the file itself/).check();
    await page.getByRole('button', { name: 'Save sharing settings' }).click();
    await page.getByText('Sharing settings saved.').waitFor();
    const r = await page.goto(`${server.url}/u/${fileId}`);
    expect(r?.url()).toBe(`${server.url}/api/file/${fileId}`);
    expect(await page.textContent('body')).toBe('framed text');
    expect(problems).toEqual([]);
    await context.close();
    expect((await putUser({ skip_file_viewer: 'false', embed_domains: '' })).status).toBe(200);
  });

  it('visitors who do not own the file get no Embed button', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${fileId}`);
    await page.locator('[data-file-heading]').waitFor();
    expect(await page.getByRole('button', { name: 'Embed' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
