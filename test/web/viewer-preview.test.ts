// The viewer's PDF preview (PDF.js, loaded on demand), code highlighting, and swiping between
// the items of a list on a touch screen, in a real browser.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { basic, startServer, type TestServer } from '../helpers.js';
import { axeFindings, browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { putFile, registerKey } from './accounts.js';
import { pdfFile } from '../pdf.js';

const skip = browserUnavailable();
if (skip) console.warn(`viewer previews (browser) suite skipped: ${skip}`);

/** A PDF of `pages` pages, each a red box and its number (drawn, so never blank). */
function pdf(pages: number, trailer = ''): Buffer {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', ''];
  const kids: string[] = [];
  const font = 3;
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (let p = 1; p <= pages; p++) {
    const content = `1 0 0 rg 20 20 160 60 re f BT /F1 24 Tf 200 40 Td (Page ${p}) Tj ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents ${objects.length + 2} 0 R ` +
        `/Resources << /Font << /F1 ${font} 0 R >> >> >>`,
    );
    kids.push(`${objects.length} 0 R`);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  return pdfFile(objects, trailer);
}

/** Red pixels on the canvases of the drawn pages. */
async function redPixels(page: Page, pageNo: number): Promise<number> {
  return page.evaluate((n) => {
    const c = document.querySelector<HTMLCanvasElement>(`.pdf-page[data-page="${n}"] canvas`);
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return 0;
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let red = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i]! > 200 && data[i + 1]! < 60 && data[i + 2]! < 60) red++;
    }
    return red;
  }, pageNo);
}

describe.skipIf(skip !== null)('viewer previews: PDF, code, swipe', () => {
  let server: TestServer;
  let browser: Browser;
  let ownerKey: string;
  let seq = 0;
  const unique = (name: string) => `${++seq}-${name}`;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
    ownerKey = await registerKey(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const upload = (name: string, body: Buffer | string) => putFile(server.url, name, body);

  it('a PDF is drawn by PDF.js into canvases, loaded only for PDFs, a few pages at a time', async () => {
    const photo = await upload(
      unique('photo.png'),
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#22c55e' } })
        .png()
        .toBuffer(),
    );
    const doc = await upload(unique('report.pdf'), pdf(40));
    const { context, page, problems } = await newPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    const pdfAssets = () => requests.filter((p) => /^\/res\/pdf[.-]/.test(p));

    // An image's page fetches nothing of PDF.js.
    await page.goto(`${server.url}/u/${photo.id}`);
    await page.waitForFunction(() => [...document.images].some((i) => i.naturalWidth === 64));
    expect(pdfAssets()).toEqual([]);

    await page.goto(`${server.url}/u/${doc.id}`);
    const preview = page.getByTestId('pdf-preview');
    await preview.getByText('40 pages').waitFor();
    await page.locator('.pdf-page[data-page="1"] canvas').waitFor();
    expect(await redPixels(page, 1)).toBeGreaterThan(1000);
    // The chunk and the worker, both from our own /res/.
    expect(pdfAssets().some((p) => p.endsWith('.js'))).toBe(true);
    expect(pdfAssets().some((p) => /^\/res\/pdf\.worker\.min-.*\.mjs$/.test(p))).toBe(true);
    // No frame; the canvas fills the box's width.
    expect(await page.locator('iframe').count()).toBe(0);
    const fit = await page.locator('.pdf-page[data-page="1"]').evaluate((el) => ({
      canvas: el.querySelector('canvas')!.getBoundingClientRect().width,
      box: el.getBoundingClientRect().width,
    }));
    expect(Math.abs(fit.canvas - fit.box)).toBeLessThan(1);
    expect(await preview.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(
      `/api/file/${doc.id}?download`,
    );
    expect(await preview.getByRole('link', { name: 'Open PDF' }).getAttribute('href')).toBe(
      `/api/file/${doc.id}`,
    );
    // Only the pages near the view are drawn; scrolling to the end draws the last and drops the
    // first.
    const canvases = page.locator('.pdf-page canvas');
    expect(await canvases.count()).toBeLessThan(20);
    await page.locator('.pdf .scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('.pdf-page[data-page="40"] canvas').waitFor();
    expect(await redPixels(page, 40)).toBeGreaterThan(1000);
    await page.locator('.pdf-page[data-page="1"] canvas').waitFor({ state: 'detached' });
    expect(await canvases.count()).toBeLessThan(20);
    await screenshot(page, 'viewer-pdf');
    expect(await axeFindings(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a damaged or password-protected PDF says so, with the download link, not a blank box', async () => {
    const bad = await upload(unique('broken.pdf'), '%PDF-1.4\nthis is not really a PDF\n%%EOF\n');
    // Standard security handler, revision 2: the empty password does not match /U.
    const hex = (b: number) => `<${b.toString(16).padStart(2, '0').repeat(32)}>`;
    const locked = await upload(
      unique('locked.pdf'),
      pdf(
        1,
        ` /Encrypt << /Filter /Standard /V 1 /R 2 /O ${hex(0x11)} /U ${hex(0x22)} /P -4 >> /ID [${hex(0x33)} ${hex(0x33)}]`,
      ),
    );
    const { context, page, problems } = await newPage(browser);
    for (const [f, message] of [
      [bad, 'not a valid PDF, or it is damaged'],
      [locked, 'password-protected'],
    ] as const) {
      await page.goto(`${server.url}/u/${f.id}`);
      const preview = page.getByTestId('pdf-preview');
      await preview.getByRole('alert').waitFor();
      expect(await preview.getByRole('alert').textContent()).toContain(message);
      expect(await preview.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(
        `/api/file/${f.id}?download`,
      );
      expect(await page.locator('.pdf-page').count()).toBe(0);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('code is highlighted on demand; hostile markup in it stays text', async () => {
    const html = [
      '<!doctype html>',
      '<script>window.pwned = 1; alert("script")</script>',
      '<img src=x onerror="window.pwned = 2; alert(\'img\')">',
      '<p class="x">hello</p>',
      '',
    ].join('\n');
    const js = [
      'const s = "<img src=x onerror=alert(3)>";',
      'function run() { return `</span><script>alert(4)</script>`; }',
      '',
    ].join('\n');
    const files = [
      { f: await upload(unique('page.html'), html), text: html },
      { f: await upload(unique('app.js'), js), text: js },
    ];
    const plain = await upload(unique('notes.txt'), 'function not_code() { return 1; }\n');
    const { context, page, problems } = await newPage(browser);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    for (const { f, text } of files) {
      await page.goto(`${server.url}/u/${f.id}`);
      const lines = page.getByTestId('text-content');
      await lines.locator('span[class^="hljs-"]').first().waitFor();
      // Every character as uploaded, only spans added, nothing run.
      expect(await lines.textContent()).toBe(text);
      expect(await lines.locator('*:not(span)').count()).toBe(0);
      expect(await page.locator('main img:not(.thumb), main script').count()).toBe(0);
      expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    }
    expect(await page.locator('.hljs-keyword', { hasText: 'function' }).count()).toBe(1);
    await screenshot(page, 'viewer-code');
    // The colours are readable in both themes.
    expect(await axeFindings(page)).toEqual([]);
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    await page.reload();
    await page.getByTestId('text-content').locator('.hljs-keyword').first().waitFor();
    expect(await axeFindings(page)).toEqual([]);
    await screenshot(page, 'viewer-code-dark');
    // Plain text stays plain.
    await page.goto(`${server.url}/u/${plain.id}`);
    await page.getByTestId('text-content').waitFor();
    expect(await page.getByTestId('text-content').locator('span').count()).toBe(0);
    // The highlighter and each language came in their own chunks.
    expect(requests.some((p) => /^\/res\/(core|highlight)-.*\.js$/.test(p))).toBe(true);
    expect(requests.some((p) => /^\/res\/xml-.*\.js$/.test(p))).toBe(true);
    expect(requests.some((p) => /^\/res\/javascript-.*\.js$/.test(p))).toBe(true);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a swipe on a touch screen moves between the items of a list', async () => {
    const ids: string[] = [];
    for (const color of ['#ef4444', '#22c55e', '#3b82f6']) {
      const img = await sharp({
        create: { width: 300, height: 200, channels: 3, background: color },
      })
        .png()
        .toBuffer();
      ids.push((await upload(unique('swipe.png'), img)).id);
    }
    // A text whose box scrolls sideways: a swipe there scrolls it instead.
    ids.push((await upload(unique('wide.txt'), `${'wide '.repeat(200)}\nend\n`)).id);
    const r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(ownerKey) },
      body: JSON.stringify({ title: 'Swipe', files: ids.map((id) => ({ id })) }),
    });
    expect(r.status).toBe(201);
    const list = ((await r.json()) as { id: string }).id;
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 375, height: 667 },
      hasTouch: true,
    });
    await page.goto(`${server.url}/l/${list}#item=0`);
    const position = page.locator('.position');
    await page.locator('[data-file-heading]').waitFor();
    expect(await position.textContent()).toContain('1 / 4');
    const cdp = await context.newCDPSession(page);
    const box = (await page.locator('.preview').boundingBox())!;
    let y = box.y + box.height / 2;
    const swipe = async (from: number, to: number, dy = 0, fingers = 1) => {
      const points = (x: number, yy: number) =>
        Array.from({ length: fingers }, (_, k) => ({ x, y: yy + k * 80, id: k }));
      await cdp.send('Input.dispatchTouchEvent', {
        type: 'touchStart',
        touchPoints: points(from, y),
      });
      for (let s = 1; s <= 5; s++) {
        await cdp.send('Input.dispatchTouchEvent', {
          type: 'touchMove',
          touchPoints: points(from + ((to - from) * s) / 5, y + (dy * s) / 5),
        });
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    // Right to left: the next item.
    await swipe(300, 80);
    await page.waitForFunction(() => location.hash === '#item=1');
    expect(await position.textContent()).toContain('2 / 4');
    // Left to right: back.
    await swipe(80, 300);
    await page.waitForFunction(() => location.hash === '#item=0');
    // Too short, mostly vertical, or two fingers: nothing.
    await swipe(200, 160);
    await swipe(300, 220, 200);
    await swipe(300, 80, 0, 2);
    await swipe(300, 80);
    await page.waitForFunction(() => location.hash === '#item=1');
    expect(await position.textContent()).toContain('2 / 4');
    await page.goto(`${server.url}/l/${list}#item=3`);
    await page.getByTestId('text-content').waitFor();
    const code = (await page.locator('.code').boundingBox())!;
    y = code.y + code.height / 2;
    await swipe(80, 300);
    y = (await page.locator('[data-file-heading]').boundingBox())!.y + 10;
    await swipe(80, 300);
    await page.waitForFunction(() => location.hash === '#item=2');
    expect(problems).toEqual([]);
    await context.close();
  });
});
