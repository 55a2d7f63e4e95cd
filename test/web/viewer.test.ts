// The file viewer (/u/{id}, /u/a,b,c) and the list viewer (/l/{id}) in a real browser: previews
// by type, details, safe text and markdown, list navigation by keyboard, and the owner's edits.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { putFile, registerKey } from './accounts.js';
import { pdfFile } from '../pdf.js';

const skip = browserUnavailable();
if (skip) console.warn(`web viewer (browser) suite skipped: ${skip}`);

interface Uploaded {
  id: string;
  name: string;
  size: number;
  hash_sha256: string;
  deleteKey?: string;
}

interface ListJson {
  title: string;
  files: { id: string; name: string }[];
}

/** A small PNG with real pixels. */
async function png(width: number, height: number, color: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

/** 0.2 s of a 440 Hz tone, 8 kHz mono 16-bit PCM. */
function wav(): Buffer {
  const rate = 8000;
  const samples = rate / 5;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A one-page PDF with one line of text. */
function minimalPdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 44 >>\nstream\nBT /F1 24 Tf 40 70 Td (Hello PDF) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  return pdfFile(objects);
}

describe.skipIf(skip !== null)('viewer pages in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  /** The owner's API key (also their pd_auth_key cookie). */
  let ownerKey: string;
  let seq = 0;

  const basic = (key: string) => `Basic ${Buffer.from(`:${key}`).toString('base64')}`;

  const upload = (name: string, body: Buffer | string, key?: string) =>
    putFile<Uploaded>(server.url, name, body, key);

  async function createList(title: string, ids: string[]): Promise<string> {
    const r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(ownerKey) },
      body: JSON.stringify({ title, files: ids.map((id) => ({ id })) }),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
    const r = await fetch(`${server.url}${path}`, { headers: { Authorization: basic(ownerKey) } });
    return { status: r.status, body: (await r.json()) as T };
  }

  async function asOwner(context: BrowserContext): Promise<void> {
    await context.addCookies([{ name: 'pd_auth_key', value: ownerKey, url: server.url }]);
  }

  /** A distinct name per test: every test works on its own files. */
  const unique = (name: string) => `${++seq}-${name}`;

  const fileHeading = (page: Page) => page.locator('[data-file-heading]');

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    ownerKey = await registerKey(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('an image: the preview loads, the details show name, size and SHA-256', async () => {
    const bytes = await png(320, 200, '#3b82f6');
    const f = await upload(unique('photo.png'), bytes);
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${f.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(f.name);
    const img = page.getByRole('img', { name: f.name });
    await img.waitFor();
    await page.waitForFunction((name) => {
      const el = [...document.images].find((i) => i.alt === name);
      return el !== undefined && el.complete && el.naturalWidth > 0;
    }, f.name);
    expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(320);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(await page.getByTestId('sha256').textContent()).toBe(sha);
    const details = await page.locator('dl.details').textContent();
    expect(details).toContain(f.name);
    expect(details).toContain(`${bytes.length} bytes`);
    const download = page.getByRole('link', { name: 'Download', exact: true });
    expect(await download.getAttribute('href')).toBe(`/api/file/${f.id}?download`);
    expect(await download.getAttribute('download')).not.toBeNull();
    // The QR code dialog: our SVG, labelled with the link.
    await page.getByRole('button', { name: 'QR code' }).click();
    const qr = page.getByRole('img', { name: `QR code of ${server.url}/u/${f.id}` });
    await qr.locator('svg').waitFor();
    await screenshot(page, 'viewer-qr');
    await page.getByRole('button', { name: 'Close' }).click();
    await qr.waitFor({ state: 'hidden' });
    await screenshot(page, 'viewer-image');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a text file: line numbers, and markup shown as text, never run', async () => {
    const text = 'first line\n<script>alert("xss")</script>\n<b>not bold</b>\nlast line\n';
    const f = await upload(unique('notes.txt'), text);
    const { context, page, problems } = await newPage(browser);
    // This one in the dark theme (the toggle's cookie).
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}/u/${f.id}`);
    const lines = page.getByTestId('text-content');
    await lines.waitFor();
    expect(await lines.textContent()).toBe(text);
    expect(await lines.locator('script, b').count()).toBe(0);
    expect(await page.locator('.gutter').textContent()).toBe('1\n2\n3\n4');
    await screenshot(page, 'viewer-text');
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('markdown is rendered sanitised, with a source view', async () => {
    const md = [
      '# Release notes',
      '',
      'Some **bold** text and `code`.',
      '',
      '<img src=x onerror="alert(1)">',
      '',
      '[bad link](javascript:alert(2)) and [good link](https://example.com/page)',
      '',
      '<a href="javascript:alert(3)" onclick="alert(4)">raw link</a>',
      '',
      '<p style="color: red">styled</p><style>body { display: none }</style>',
      '',
      '- one',
      '- two',
      '',
    ].join('\n');
    const f = await upload(unique('README.md'), md);
    const { context, page, problems } = await newPage(browser);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}/u/${f.id}`);
    const article = page.getByRole('article', { name: 'Rendered markdown' });
    await article.getByRole('heading', { name: 'Release notes' }).waitFor();
    expect(await article.locator('[onerror], [onclick], [style], style').count()).toBe(0);
    expect(await article.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(await article.locator('img').count()).toBe(0);
    // Links whose target was removed are plain text.
    expect(await article.getByRole('link', { name: /bad link|raw link/ }).count()).toBe(0);
    expect(await article.textContent()).toContain('raw link');
    const good = article.getByRole('link', { name: 'good link' });
    expect(await good.getAttribute('href')).toBe('https://example.com/page');
    expect(await good.getAttribute('rel')).toBe('noopener nofollow ugc');
    expect(await good.getAttribute('target')).toBe('_blank');
    expect(await article.locator('strong').textContent()).toBe('bold');
    await screenshot(page, 'viewer-markdown');
    await page.getByRole('button', { name: 'Source' }).click();
    expect(await page.getByTestId('text-content').textContent()).toBe(md);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('audio gets a player that loads only metadata, from the byte-range API', async () => {
    const f = await upload(unique('tone.wav'), wav());
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${f.id}`);
    const audio = page.locator('audio');
    await audio.waitFor();
    expect(await audio.getAttribute('src')).toBe(`/api/file/${f.id}`);
    expect(await audio.getAttribute('preload')).toBe('metadata');
    expect(await audio.getAttribute('controls')).not.toBeNull();
    await page.waitForFunction(() => (document.querySelector('audio')?.readyState ?? 0) >= 1);
    expect(await audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeCloseTo(0.2, 1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a PDF drawn on a canvas; big text and unknown types are offered as a download', async () => {
    const pdf = await upload(unique('paper.pdf'), minimalPdf());
    const big = await upload(unique('huge.log'), 'x'.repeat(2 * 1024 * 1024 + 1));
    const blob = await upload(unique('data.bin'), Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]));
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${pdf.id}`);
    // Drawn by PDF.js (test/web/viewer-preview.test.ts has the details), not left to a frame.
    await page.getByRole('img', { name: 'Page 1 of 1' }).locator('canvas').waitFor();
    expect(await page.locator('iframe').count()).toBe(0);

    await page.goto(`${server.url}/u/${big.id}`);
    await page.getByText('This file is too big to preview here').waitFor();
    expect(await page.getByTestId('text-content').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Download', exact: true }).count()).toBe(2);

    await page.goto(`${server.url}/u/${blob.id}`);
    await page.getByText('No preview for this type of file').waitFor();
    expect(await page.getByRole('link', { name: 'Download', exact: true }).count()).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a list: gallery of thumbnails, then item view driven by the keyboard', async () => {
    const files = [
      await upload(unique('red.png'), await png(64, 64, '#ef4444')),
      await upload(unique('green.png'), await png(64, 64, '#22c55e')),
      await upload(unique('blue.png'), await png(64, 64, '#3b82f6')),
    ];
    const id = await createList(
      'Holiday photos',
      files.map((f) => f.id),
    );
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/l/${id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Holiday photos');
    const thumbs = page.locator('.gallery img');
    expect(await thumbs.count()).toBe(3);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.gallery img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(await page.getByRole('link', { name: 'Download all (zip)' }).getAttribute('href')).toBe(
      `/api/list/${id}/zip`,
    );
    await screenshot(page, 'list-gallery');

    await page.getByRole('link', { name: new RegExp(files[0]!.name) }).click();
    await fileHeading(page).waitFor();
    expect(await fileHeading(page).textContent()).toBe(files[0]!.name);
    expect(await page.locator('.position').textContent()).toContain('1 / 3');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await fileHeading(page).textContent()).toBe(files[2]!.name);
    expect(await page.locator('.position').textContent()).toContain('3 / 3');
    expect(new URL(page.url()).hash).toBe('#item=2');
    await page.getByRole('img', { name: files[2]!.name }).waitFor();
    await screenshot(page, 'list-item');
    await page.keyboard.press('ArrowLeft');
    expect(await fileHeading(page).textContent()).toBe(files[1]!.name);
    await page.keyboard.press('d');
    expect(await fileHeading(page).textContent()).toBe(files[2]!.name);
    await page.keyboard.press('a');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await fileHeading(page).textContent()).toBe(files[2]!.name);
    // s downloads the open file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('s')]);
    expect(download.suggestedFilename()).toBe(files[2]!.name);
    await download.cancel();
    await page.keyboard.press('Escape');
    await thumbs.first().waitFor();
    expect(await fileHeading(page).count()).toBe(0);

    // The address of an item opens it directly.
    await page.goto(`${server.url}/l/${id}#item=1`);
    await fileHeading(page).waitFor();
    expect(await fileHeading(page).textContent()).toBe(files[1]!.name);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('/u/a,b is a virtual list of those files, downloadable as one zip', async () => {
    const a = await upload(unique('alpha.txt'), 'alpha\n');
    const b = await upload(unique('beta.png'), await png(32, 32, '#a855f7'));
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${a.id},${b.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Multiple files');
    const gallery = page.getByRole('list', { name: 'Files' });
    expect(await gallery.getByRole('link', { name: new RegExp(a.name) }).count()).toBe(1);
    expect(await gallery.getByRole('link', { name: new RegExp(b.name) }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Download all (zip)' }).getAttribute('href')).toBe(
      `/api/file/${a.id},${b.id}`,
    );
    await gallery.getByRole('link', { name: new RegExp(a.name) }).click();
    await page.getByTestId('text-content').waitFor();
    expect(await page.getByTestId('text-content').textContent()).toBe('alpha\n');
    await page.keyboard.press('ArrowRight');
    expect(await fileHeading(page).textContent()).toBe(b.name);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the owner renames a file, then deletes it', async () => {
    const f = await upload(unique('draft.txt'), 'draft\n', ownerKey);
    const { context, page, problems } = await newPage(browser);
    await asOwner(context);
    await page.goto(`${server.url}/u/${f.id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const input = page.getByLabel('File name');
    expect(await input.inputValue()).toBe(f.name);
    await input.fill('final version.txt');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Renamed to final version.txt').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('final version.txt');
    const info = await getJson<{ name: string }>(`/api/file/${f.id}/info`);
    expect(info.body.name).toBe('final version.txt');

    await page.getByRole('button', { name: 'Delete file' }).click();
    await Promise.all([
      page.waitForURL(`${server.url}/account`),
      page.getByRole('button', { name: 'Yes, delete' }).click(),
    ]);
    expect((await getJson(`/api/file/${f.id}/info`)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('visitors who are not the owner get no edit tools', async () => {
    const f = await upload(unique('theirs.txt'), 'theirs\n', ownerKey);
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${f.id}`);
    await page.getByRole('link', { name: 'Download', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('an anonymous upload is deleted with the key in #delete=', async () => {
    const f = await upload(unique('oops.png'), await png(16, 16, '#000000'));
    expect(f.deleteKey).toBeTruthy();
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${f.id}#delete=${encodeURIComponent(f.deleteKey!)}`);
    await page.getByRole('button', { name: 'Delete this file' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('heading', { name: 'File deleted' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    expect((await getJson(`/api/file/${f.id}/info`)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the list owner renames, reorders, removes and adds files, then deletes the list', async () => {
    const names = ['one.txt', 'two.txt', 'three.txt'].map(unique);
    const files: Uploaded[] = [];
    for (const n of names) files.push(await upload(n, `${n}\n`, ownerKey));
    const id = await createList(
      'Work',
      files.map((f) => f.id),
    );
    const order = async () =>
      (await getJson<ListJson>(`/api/list/${id}`)).body.files.map((f) => f.name);
    const { context, page, problems } = await newPage(browser);
    await asOwner(context);
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    await page.goto(`${server.url}/l/${id}`);
    await page.getByRole('button', { name: 'Edit list' }).click();

    await page.getByLabel('List title').fill('Work, sorted');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Renamed the list to Work, sorted').waitFor();
    expect((await getJson<ListJson>(`/api/list/${id}`)).body.title).toBe('Work, sorted');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Work, sorted');

    const down = page.getByRole('button', { name: `Move ${names[0]} down` });
    await down.click();
    await page.getByText(`Moved ${names[0]} to position 2 of 3`).waitFor();
    expect(await order()).toEqual([names[1], names[0], names[2]]);
    // Focus stays on the moved entry: Enter moves it again.
    await page.keyboard.press('Enter');
    await page.getByText(`Moved ${names[0]} to position 3 of 3`).waitFor();
    expect(await order()).toEqual([names[1], names[2], names[0]]);

    await page.getByRole('button', { name: `Remove ${names[1]} from the list` }).click();
    await page.getByText(`Removed ${names[1]} from the list`).waitFor();
    expect(await order()).toEqual([names[2], names[0]]);
    expect(await page.locator('.gallery img').count()).toBe(2);

    await page
      .getByLabel('Add files')
      .setInputFiles([
        { name: 'added.txt', mimeType: 'text/plain', buffer: Buffer.from('added\n') },
      ]);
    await page.getByText('Added 1 file to the list').waitFor();
    expect(await order()).toEqual([names[2], names[0], 'added.txt']);
    await screenshot(page, 'list-edit');

    await page.getByRole('button', { name: 'Delete list' }).click();
    await Promise.all([
      page.waitForURL(`${server.url}/account/lists`),
      page.getByRole('button', { name: 'Yes, delete the list' }).click(),
    ]);
    expect((await getJson(`/api/list/${id}`)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('on a phone the page stacks and stays within the screen', async () => {
    const f = await upload(unique('mobile.png'), await png(600, 400, '#f59e0b'));
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 390, height: 844 },
    });
    await page.goto(`${server.url}/u/${f.id}`);
    await page.waitForFunction(() =>
      [...document.images].some((i) => i.complete && i.naturalWidth > 0),
    );
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);
    await screenshot(page, 'viewer-mobile');
    expect(problems).toEqual([]);
    await context.close();
  });
});
