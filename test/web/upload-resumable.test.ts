// Big files from the home page go through tus (/api/tus) in chunks, in a real browser: the upload
// survives the server going away and coming back, a reload of the page (the same file picked
// again continues), and pause/resume. The threshold and chunk size come from the server's config
// (STOWAGE_TUS_WEB_THRESHOLD / STOWAGE_TUS_WEB_CHUNK_SIZE), lowered here. PATCHes are held at the
// network (page.route) after a given number: each interruption happens at a known point, not at
// a moment.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page, Route } from 'playwright-core';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { axeFindings, browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { registerAndLogin } from './accounts.js';

const skip = browserUnavailable();
if (skip) console.warn(`home/resumable upload (browser) suite skipped: ${skip}`);

const CHUNK = 256 * 1024;
const SIZE = 8 * CHUNK + 12_345; // 9 PATCHes, the last one short
const SETTINGS = { tusWebThreshold: 1024 * 1024, tusWebChunkSize: CHUNK };

/** Wait for the row of `name` to reach `state` (data-state on the row). */
async function waitState(page: Page, name: string, state: string): Promise<Locator> {
  const r = page.locator(`li[data-state="${state}"]`).filter({
    has: page.getByText(name, { exact: true }),
  });
  await r.waitFor();
  return r;
}

/** The id of a done row, from its share link. */
async function uploadedId(r: Locator, origin: string): Promise<string> {
  const href = await r.getByRole('link', { name: /\/u\// }).first().getAttribute('href');
  expect(href?.startsWith(`${origin}/u/`)).toBe(true);
  return decodeURIComponent(href!.slice(`${origin}/u/`.length).split('#')[0]!);
}

async function download(server: TestServer, id: string): Promise<Buffer> {
  const r = await fetch(`${server.url}/api/file/${encodeURIComponent(id)}`);
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

/**
 * PATCHes to /api/tus pass until `allow` of them went through; later ones wait in `held` until
 * `open()`. `bytes` counts the bodies let through.
 */
class PatchGate {
  passed = 0;
  bytes = 0;
  held: Route[] = [];
  private waiters: Array<() => void> = [];

  constructor(private allow: number) {}

  async install(page: Page): Promise<void> {
    await page.route(
      (url) => url.pathname.startsWith('/api/tus/'),
      async (route) => {
        if (route.request().method() !== 'PATCH') return route.continue();
        if (this.passed >= this.allow) {
          this.held.push(route);
          for (const w of this.waiters.splice(0)) w();
          return;
        }
        this.passed++;
        this.bytes += bodySize(route);
        await route.continue().catch(() => undefined);
      },
    );
  }

  /** Resolves once a PATCH is held. */
  async holding(): Promise<void> {
    if (this.held.length > 0) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Let `more` further PATCHes through (and those held, within that count). */
  release(more = Infinity): void {
    this.allow = this.passed + more;
    const held = this.held.splice(0);
    for (const route of held) {
      if (this.passed >= this.allow) {
        this.held.push(route);
        continue;
      }
      this.passed++;
      this.bytes += bodySize(route);
      void route.continue().catch(() => undefined);
    }
  }

  /** Forget the held PATCHes (their page went away or aborted them). */
  drop(): void {
    this.held = [];
  }
}

/** Bytes in a request's body, as the browser sends it. */
function bodySize(route: Route): number {
  const body = route.request().postDataBuffer();
  if (!body) throw new Error('a PATCH without a body');
  return body.length;
}

/** The upload URLs this browser remembers (tus-js-client's localStorage entries). */
async function rememberedUrls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('tus::'))
      .map((k) => (JSON.parse(localStorage.getItem(k)!) as { uploadUrl: string }).uploadUrl),
  );
}

/** The server's offset of an upload (HEAD), asked as `auth` (a cookie header) when given. */
async function offsetOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', ...headers } });
  expect(r.status).toBe(200);
  return Number(r.headers.get('upload-offset'));
}

async function cookieHeader(context: BrowserContext): Promise<Record<string, string>> {
  const cookies = await context.cookies();
  return { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
}

describe.skipIf(skip !== null)('home page: big files through tus in a real browser', () => {
  let browser: Browser;
  let dir: string;
  let filePath: string;
  let content: Buffer;

  beforeAll(async () => {
    browser = await launch();
    dir = await tempDir('stowage-resumable-');
    content = crypto.randomBytes(SIZE);
    filePath = path.join(dir, 'big-video.bin');
    await fs.writeFile(filePath, content);
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('survives the server going away mid-upload and coming back on the same port', async () => {
    const dataDir = await tempDir();
    const first = await startServer(SETTINGS, dataDir);
    let firstRunning = true;
    let server = first;
    const port = new URL(server.url).port;
    try {
      const { page, problems } = await newPage(browser);
      const gate = new PatchGate(3);
      await gate.install(page);
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await waitState(page, 'big-video.bin', 'uploading');

      // Three chunks are on the server, the fourth PATCH waits at the network.
      await gate.holding();
      const [url] = await rememberedUrls(page);
      expect(url).toMatch(new RegExp(`^${server.url}/api/tus/.+`));
      expect(await offsetOf(url!)).toBe(3 * CHUNK);

      // The server stops (its data stays: the data dir, or on scale-out the schema and bucket);
      // the held PATCH then finds nobody: the page says so and retries.
      await first.app.close();
      firstRunning = false;
      gate.release();
      await page.getByText('Connection lost, reconnecting…').waitFor();
      await screenshot(page, 'home-tus-reconnecting');
      expect(await axeFindings(page)).toEqual([]);

      // Back on the same port and data: the upload goes on by itself and finishes.
      server = await startServer(
        { ...SETTINGS, ...(first.stack?.config ?? {}), port: Number(port) },
        dataDir,
      );
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      const r = await waitState(page, 'big-video.bin', 'done');
      const id = await uploadedId(r, server.url);
      expect((await download(server, id)).equals(content)).toBe(true);
      // Anonymous: the delete key came with the final PATCH.
      const del = await r.getByRole('link', { name: /#delete=/ }).getAttribute('href');
      expect(del).toMatch(new RegExp(`^${server.url}/u/${id}#delete=.+`));
      // Done uploads are forgotten by the browser.
      expect(await rememberedUrls(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      if (firstRunning) await first.app.close();
      if (server !== first) await server.close();
      await first.stack?.cleanup();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it("shows the server's error (its pixeldrain JSON message) when tus refuses the upload", async () => {
    const server = await startServer({ ...SETTINGS, userStorageQuota: 1024 * 1024 });
    try {
      const { context, page, problems } = await newPage(browser);
      await registerAndLogin(context, server.url);
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      const r = await waitState(page, 'big-video.bin', 'failed');
      const text = (await r.textContent()) ?? '';
      expect(text).toContain('You have used all of your storage space');
      expect(text).not.toContain('tus:'); // not tus-js-client's own wording
      expect(await rememberedUrls(page)).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  describe('on one server', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(SETTINGS);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('a reload mid-upload: the same file picked again resumes where it stopped', async () => {
      const { context, page, problems } = await newPage(browser);
      await registerAndLogin(context, server.url);
      // The page goes away with a PATCH in flight: leaving is confirmed.
      page.on('dialog', (d) => void d.accept());
      const gate = new PatchGate(4);
      await gate.install(page);
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await gate.holding();
      const [url] = await rememberedUrls(page);
      // The account's upload: the cookie opens it, nobody else.
      expect(await offsetOf(url!, await cookieHeader(context))).toBe(4 * CHUNK);
      const anonymous = await fetch(url!, {
        method: 'HEAD',
        headers: { 'Tus-Resumable': '1.0.0' },
      });
      expect(anonymous.status).not.toBe(200);

      await page.reload();
      gate.drop();
      // The page lists what is unfinished, and how far it got.
      const unfinished = page.getByRole('region', { name: 'Unfinished uploads' });
      await unfinished.getByText('big-video.bin').waitFor();
      expect(await unfinished.textContent()).toContain(
        `${Math.floor((4 * CHUNK * 100) / SIZE)}% of`,
      );
      await screenshot(page, 'home-tus-unfinished');
      expect(await axeFindings(page)).toEqual([]);

      gate.release();
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      const r = await waitState(page, 'big-video.bin', 'done');
      expect(await r.textContent()).not.toContain('Resumed'); // shown while it runs only
      const id = await uploadedId(r, server.url);
      expect((await download(server, id)).equals(content)).toBe(true);
      // Only the missing part was sent again: the server got the file once, not twice.
      expect(gate.bytes).toBe(SIZE);
      expect(gate.bytes).toBeLessThan(2 * SIZE);
      // Uploaded to the account.
      const mine = await context.request.get(`${server.url}/api/user/files`);
      const files = ((await mine.json()) as { files: Array<{ id: string }> }).files;
      expect(files.map((f) => f.id)).toContain(id);
      expect(await unfinished.count()).toBe(0);
      expect(problems).toEqual([]);
    });

    it('shows "Resumed from" while a resumed upload runs', async () => {
      const { page, problems } = await newPage(browser);
      page.on('dialog', (d) => void d.accept());
      const gate = new PatchGate(2);
      await gate.install(page);
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await gate.holding();
      await page.reload();
      gate.drop();
      // After the reload: one more PATCH, then hold again so the row can be read mid-way.
      gate.release(1);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await gate.holding();
      const r = await waitState(page, 'big-video.bin', 'uploading');
      await r.getByText(`Resumed from ${Math.floor((2 * CHUNK * 100) / SIZE)}%`).waitFor();
      gate.release();
      await waitState(page, 'big-video.bin', 'done');
      expect(problems).toEqual([]);
    });

    it('pause and resume buttons', async () => {
      const { page, problems } = await newPage(browser, { viewport: { width: 375, height: 740 } });
      const requested: string[] = [];
      page.on('request', (req) => requested.push(req.url()));
      const gate = new PatchGate(2);
      await gate.install(page);
      await page.goto(`${server.url}/`);
      expect(requested.some((u) => /\/res\/tus-client-[^/]*\.js$/.test(u))).toBe(false);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await gate.holding();
      // Loaded for the big file only.
      expect(requested.some((u) => /\/res\/tus-client-[^/]*\.js$/.test(u))).toBe(true);
      const [url] = await rememberedUrls(page);

      await page.getByRole('button', { name: 'Pause big-video.bin' }).click();
      const paused = await waitState(page, 'big-video.bin', 'paused');
      gate.drop(); // the paused upload aborted its PATCH
      expect(await paused.textContent()).toContain('Paused');
      expect(await offsetOf(url!)).toBe(2 * CHUNK);
      await screenshot(page, 'home-tus-paused-phone');
      expect(await axeFindings(page)).toEqual([]);

      gate.release();
      await page.getByRole('button', { name: 'Resume big-video.bin' }).click();
      const r = await waitState(page, 'big-video.bin', 'done');
      const id = await uploadedId(r, server.url);
      expect((await download(server, id)).equals(content)).toBe(true);
      expect(gate.bytes).toBe(SIZE);
      expect(problems).toEqual([]);
    });

    it("cancel, and forgetting an unfinished upload, delete the server's partial copy", async () => {
      const { page, problems } = await newPage(browser);
      page.on('dialog', (d) => void d.accept());
      const gate = new PatchGate(1);
      await gate.install(page);
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles(filePath);
      await gate.holding();
      const [cancelled] = await rememberedUrls(page);
      expect(await offsetOf(cancelled!)).toBe(CHUNK);
      await page.getByRole('button', { name: 'Cancel big-video.bin' }).click();
      await waitState(page, 'big-video.bin', 'cancelled');
      gate.drop();
      await expect.poll(() => rememberedUrls(page)).toEqual([]);
      const gone = await fetch(cancelled!, {
        method: 'HEAD',
        headers: { 'Tus-Resumable': '1.0.0' },
      });
      expect(gone.status).toBe(404);

      // Another one left behind by a reload, then forgotten from the list.
      await page.getByRole('button', { name: 'Retry big-video.bin' }).click();
      await gate.holding();
      const [left] = await rememberedUrls(page);
      expect(left).not.toBe(cancelled);
      await page.reload();
      gate.drop();
      const unfinished = page.getByRole('region', { name: 'Unfinished uploads' });
      await unfinished.getByRole('button', { name: 'Forget big-video.bin' }).click();
      await unfinished.waitFor({ state: 'detached' });
      await expect.poll(() => rememberedUrls(page)).toEqual([]);
      await expect
        .poll(async () => {
          const r = await fetch(left!, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
          return r.status;
        })
        .toBe(404);
      expect(problems).toEqual([]);
    });

    it('small files keep the one-request PUT; tus-js-client is not even loaded', async () => {
      const { page, problems } = await newPage(browser);
      const scripts: string[] = [];
      page.on('request', (req) => scripts.push(req.url()));
      await page.goto(`${server.url}/`);
      await page.getByLabel(/Choose files/).setInputFiles({
        name: 'small.bin',
        mimeType: 'application/octet-stream',
        buffer: crypto.randomBytes(1000),
      });
      await waitState(page, 'small.bin', 'done');
      expect(scripts.some((u) => u.includes('/api/tus'))).toBe(false);
      expect(scripts.filter((u) => u.endsWith('.js')).length).toBeGreaterThan(0);
      expect(scripts.some((u) => /\/res\/tus-client-[^/]*\.js$/.test(u))).toBe(false);
      expect(problems).toEqual([]);
    });
  });
});
