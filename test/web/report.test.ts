// The viewer's "Report abuse" dialog and the page of a blocked file, in a real browser: the
// dialog is a modal (Escape closes it, focus comes back), lists the abuse types in words, posts
// `type` and `description` to /api/file/{id}/report_abuse and says pixeldrain's errors in words;
// a blocked file's page answers 451 and shows the type and the reason instead of the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`report dialog (browser) suite skipped: ${skip}`);

const LABELS = [
  'Terrorism or violent extremism',
  'Gore: graphic violence or death',
  'Child sexual abuse',
  'Sexual content involving animals',
  'Intimate images shared without consent (revenge porn)',
  'Personal information published without consent (doxing)',
  'Malware or a virus',
  'Copyright infringement',
  'Something else',
];

interface Report {
  file_id: string;
  type: string;
  description: string;
  status: string;
}

describe.skipIf(skip !== null)('reporting a file and the page of a blocked file', () => {
  let server: TestServer;
  let browser: Browser;
  let ownerKey: string;
  let n = 0;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    ownerKey = await createUserWithKey(server, 'uploader');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function upload(body = 'some text\n'): Promise<string> {
    const r = await fetch(`${server.url}/api/file/file${n++}.txt`, {
      method: 'PUT',
      headers: { Authorization: basic(ownerKey) },
      body,
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  /** The file's reports, as the core stores them. */
  async function reportsOf(id: string): Promise<Report[]> {
    const { reports } = await server.app.runtime.core.reports.list({ fileId: id, limit: 100 });
    return reports.map((r) => ({
      file_id: r.fileId,
      type: r.type,
      description: r.description,
      status: r.status,
    }));
  }

  /** An admin's block (through the core, as the CLI does). */
  async function block(id: string, type: string, reason: string): Promise<void> {
    await server.app.runtime.core.blocks.block(id, type, reason, { userId: null, name: 'cli' });
  }

  it('the dialog: types in words, Escape, a type required, the report sent, a second one refused', async () => {
    const id = await upload();
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${id}`);
    const button = page.getByRole('button', { name: 'Report abuse' });
    expect(await button.getAttribute('aria-haspopup')).toBe('dialog');
    await button.click();
    const dialog = page.getByRole('dialog', { name: 'Report abuse' });
    await dialog.waitFor();
    const radios = dialog.getByRole('radio');
    expect(await radios.count()).toBe(LABELS.length);
    for (const label of LABELS) await dialog.getByLabel(label, { exact: true }).waitFor();
    // A modal: the page behind it is inert; Escape closes it and focus returns to the button.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);

    // The keyboard shortcut opens it too (pixeldrain's "r").
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('r');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByRole('alert').getByText('Choose the kind of abuse.').waitFor();
    expect(await reportsOf(id)).toEqual([]);

    await dialog.getByLabel('Copyright infringement').check();
    await dialog.getByLabel('Description').fill('A copy of my book, chapter 3.');
    await screenshot(page, 'report-dialog');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByRole('status').getByText('Thank you.').waitFor();
    const reports = await reportsOf(id);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      type: 'copyright',
      description: 'A copy of my book, chapter 3.',
      status: 'open',
    });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The same visitor again: pixeldrain's resource_already_exists, in words.
    await button.click();
    await dialog.getByLabel('Something else').check();
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByRole('alert').getByText('You have already reported this file.').waitFor();
    expect(await reportsOf(id)).toHaveLength(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a file blocked while the dialog is open: file_already_blocked, in words', async () => {
    const id = await upload('blocked meanwhile\n');
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/u/${id}`);
    await page.getByRole('button', { name: 'Report abuse' }).click();
    const dialog = page.getByRole('dialog', { name: 'Report abuse' });
    await dialog.getByLabel('Gore: graphic violence or death').check();
    await block(id, 'gore', 'already known');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByRole('alert').getByText('This file has already been blocked.').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a blocked file: 451, the type in words and the reason as text, no preview, download or report', async () => {
    const id = await upload('<b>not shown</b>\n');
    await block(id, 'terrorism', 'Court order 12/2026 <img src=x onerror=alert(1)>');
    const { context, page, problems } = await newPage(browser);
    const res = await page.goto(`${server.url}/u/${id}`);
    expect(res?.status()).toBe(451);
    const notice = page.getByRole('region', { name: 'This file has been blocked' });
    await notice.waitFor();
    expect(await notice.getByTestId('abuse-type').textContent()).toBe(
      'Terrorism or violent extremism',
    );
    expect(await notice.getByTestId('block-reason').textContent()).toBe(
      'Court order 12/2026 <img src=x onerror=alert(1)>',
    );
    await screenshot(page, 'viewer-blocked-file');
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Download' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Report abuse' }).count()).toBe(0);
    // Neither does the download shortcut start anything.
    let downloads = 0;
    page.on('download', () => downloads++);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('s');
    await page.keyboard.press('r');
    await page.waitForTimeout(300);
    expect(downloads).toBe(0);
    expect(await page.getByRole('dialog').count()).toBe(0);
    // The same notice in a list's item view.
    const l = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basic(ownerKey) },
      body: JSON.stringify({ title: 'with a blocked file', files: [{ id }] }),
    });
    const listId = ((await l.json()) as { id: string }).id;
    await page.goto(`${server.url}/l/${listId}#item=0`);
    await page.getByRole('region', { name: 'This file has been blocked' }).waitFor();
    expect(await page.getByRole('link', { name: 'Download', exact: true }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
