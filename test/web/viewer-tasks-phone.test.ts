// The viewer's markdown task lists and the list viewer on a small phone, in a real browser.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { basic, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';
import { putFile, registerKey } from './accounts.js';

const skip = browserUnavailable();
if (skip) console.warn(`viewer tasks and phone (browser) suite skipped: ${skip}`);

/** A small PNG with real pixels. */
async function png(width: number, height: number, color: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

describe.skipIf(skip !== null)('viewer: task lists, and the list viewer on a phone', () => {
  let server: TestServer;
  let browser: Browser;
  let ownerKey: string;
  let seq = 0;
  /** A distinct name per test. */
  const unique = (name: string) => `${++seq}-${name}`;
  const fileHeading = (page: Page) => page.locator('[data-file-heading]');

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
    ownerKey = await registerKey(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const upload = (name: string, body: Buffer | string) => putFile(server.url, name, body);

  async function createList(title: string, ids: string[]): Promise<string> {
    const r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(ownerKey) },
      body: JSON.stringify({ title, files: ids.map((id) => ({ id })) }),
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  it('markdown task lists keep disabled checkboxes; inputs of raw HTML stay inert', async () => {
    const md = [
      '# Todo',
      '',
      '- [ ] write the tests',
      '- [x] ship it',
      '  - [X] nested and done',
      '- plain item',
      '',
      '<input type=text onfocus="alert(1)" autofocus value="typed">',
      '',
      '<ul><li><input type=checkbox onclick="alert(2)" name=sneaky form=f> raw box</li></ul>',
      '',
      '<input type=checkbox onclick="alert(3)"> outside a list',
      '',
    ].join('\n');
    const f = await upload(unique('TODO.md'), md);
    const { context, page, problems } = await newPage(browser);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${server.url}/u/${f.id}`);
    const article = page.getByRole('article', { name: 'Rendered markdown' });
    await article.getByRole('heading', { name: 'Todo' }).waitFor();
    const boxes = article.getByRole('checkbox');
    const states = await boxes.evaluateAll((els) =>
      (els as HTMLInputElement[]).map((b) => ({
        name: b.getAttribute('aria-label'),
        checked: b.checked,
        disabled: b.disabled,
        inItem: b.closest('li') !== null,
        attrs: b.getAttributeNames().sort(),
      })),
    );
    const attrs = (checked: boolean) =>
      checked ? ['aria-label', 'checked', 'disabled', 'type'] : ['aria-label', 'disabled', 'type'];
    expect(states).toEqual([
      {
        name: 'write the tests',
        checked: false,
        disabled: true,
        inItem: true,
        attrs: attrs(false),
      },
      { name: 'ship it', checked: true, disabled: true, inItem: true, attrs: attrs(true) },
      { name: 'nested and done', checked: true, disabled: true, inItem: true, attrs: attrs(true) },
      // The raw HTML one in a list item: a bare disabled checkbox, its handler and name gone.
      { name: 'raw box', checked: false, disabled: true, inItem: true, attrs: attrs(false) },
    ]);
    // Nothing else: no text field, no checkbox outside a list, no handler anywhere.
    expect(await article.locator('input').count()).toBe(4);
    expect(await article.locator('input:not([type=checkbox])').count()).toBe(0);
    expect(await article.locator('[onfocus], [onclick], [autofocus], [name], [form]').count()).toBe(
      0,
    );
    expect(await article.textContent()).toContain('outside a list');
    // A disabled box cannot be ticked, and clicking it runs nothing.
    await boxes.first().click({ force: true });
    expect(await boxes.first().isChecked()).toBe(false);
    await article.getByText('raw box').click();
    await screenshot(page, 'viewer-markdown-tasks');
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('list viewer on a small phone: the navigator on one line, nothing wider than the screen', async () => {
    const files = [
      await upload(
        unique('a photo of the harbour at dawn with a long name.png'),
        await png(640, 480, '#0ea5e9'),
      ),
      await upload(unique('second.png'), await png(300, 200, '#22c55e')),
      await upload(unique('third.png'), await png(200, 300, '#ef4444')),
    ];
    const id = await createList(
      'Phone list',
      files.map((f) => f.id),
    );
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 375, height: 667 },
    });
    for (const item of [0, 1]) {
      await page.goto(`${server.url}/l/${id}#item=${item}`);
      await fileHeading(page).waitFor();
      const nav = page.getByRole('navigation', { name: 'List navigation' });
      // Each control named as before, icons only on the screen.
      for (const name of ['All files', 'Previous', 'Next']) {
        await nav.getByRole('button', { name, exact: true }).waitFor();
      }
      const layout = await nav.evaluate((el) => {
        const kids = [...el.children].filter((k) => k.getBoundingClientRect().width > 1);
        const tops = kids.map((k) => k.getBoundingClientRect().top);
        const button = el.querySelector('button')!.getBoundingClientRect().height;
        return {
          spread: Math.max(...tops) - Math.min(...tops),
          button,
          height: el.getBoundingClientRect().height,
          scroll: document.scrollingElement!.scrollWidth,
          width: innerWidth,
        };
      });
      // One line: every control starts on the same row, and the bar is one button high.
      expect(layout.spread).toBeLessThan(layout.button / 2);
      expect(layout.height).toBeLessThan(layout.button * 1.6);
      expect(layout.scroll).toBeLessThanOrEqual(layout.width);
    }
    await screenshot(page, 'list-item-phone');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    expect(await page.locator('.position').textContent()).toContain('3 / 3');
    expect(problems).toEqual([]);
    await context.close();
  });
});
