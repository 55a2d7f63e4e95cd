// The account pages in a real browser: register, log in and out, My files, My lists, API keys,
// settings. Each test makes its own user; the API checks what the pages did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import fs from 'node:fs/promises';
import path from 'node:path';
import { basic, startServer, tempDir, type TestServer } from '../helpers.js';
import { bash } from '../recipes-helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`account pages (browser) suite skipped: ${skip}`);

const PASSWORD = 'correct horse battery';
let counter = 0;
const newName = () => `u${Date.now().toString(36)}${counter++}`;

describe.skipIf(skip !== null)('account pages in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ authRateLimit: 1000 });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Register and log in through the API: the new session key. */
  async function apiUser(username: string): Promise<string> {
    const reg = await fetch(`${server.url}/api/user/register`, {
      method: 'POST',
      body: new URLSearchParams({ username, password: PASSWORD }),
    });
    expect(reg.status).toBe(201);
    return apiLogin(username, PASSWORD);
  }

  async function apiLogin(username: string, password: string): Promise<string> {
    const r = await fetch(`${server.url}/api/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ username, password, app_name: 'website login' }),
    });
    const body = (await r.json()) as { auth_key?: string; value?: string };
    if (r.status !== 201) throw new Error(`login: ${r.status} ${body.value}`);
    return body.auth_key!;
  }

  /** Give a browser context the session cookie of `key`. */
  async function loggedIn(context: BrowserContext, key: string): Promise<void> {
    await context.addCookies([
      { name: 'pd_auth_key', value: key, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }

  async function upload(key: string, name: string, body: string): Promise<string> {
    const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { Authorization: basic(key) },
      body,
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  async function myFiles(key: string): Promise<string[]> {
    const r = await fetch(`${server.url}/api/user/files`, {
      headers: { Authorization: basic(key) },
    });
    const body = (await r.json()) as { files: { name: string }[] };
    return body.files.map((f) => f.name).sort();
  }

  /** The names in the files table, top to bottom. */
  const rowNames = (page: Page) => page.locator('tbody td.name').allTextContents();
  const waitRows = (page: Page, n: number) =>
    page.waitForFunction((n) => document.querySelectorAll('tbody td.name').length === n, n);

  it('registers through the page, logs out, logs in again and comes back', async () => {
    const { context, page, problems } = await newPage(browser);
    const username = newName();
    await page.goto(`${server.url}/register`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('E-mail (optional)').fill(`${username}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/`);
    const header = page.getByRole('navigation', { name: 'Main' });
    await header.getByText(username, { exact: true }).waitFor();

    await header.getByRole('button', { name: 'Log out' }).click();
    await header.getByRole('link', { name: 'Log in' }).waitFor();
    expect(await header.getByText(username, { exact: true }).count()).toBe(0);

    await page.goto(`${server.url}/login?redirect=/account/keys`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Log in');
    // The link to register keeps where to come back to.
    expect(
      await page.getByRole('main').getByRole('link', { name: 'Register' }).getAttribute('href'),
    ).toBe('/register?redirect=%2Faccount%2Fkeys');
    await page.getByLabel('Username or e-mail').fill(`${username}@example.com`);
    await page.getByLabel('Password').fill(PASSWORD);
    await screenshot(page, 'login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/account/keys`);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    const tab = page.getByRole('navigation', { name: 'Account' }).getByRole('link', {
      name: 'API keys',
    });
    expect(await tab.getAttribute('aria-current')).toBe('page');
    await header.getByText(username, { exact: true }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows registration and login errors by field', async () => {
    const { context, page, problems } = await newPage(browser);
    const taken = newName();
    await apiUser(taken);
    await page.goto(`${server.url}/register`);
    await page.getByLabel('Username').fill('a!');
    await page.getByLabel('E-mail (optional)').fill('not-an-address');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Repeat password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').textContent()).toContain('8 to 256 characters');
    expect(await page.locator('#username-error').textContent()).toMatch(/3 to 64 characters/);
    expect(await page.locator('#email-error').textContent()).toContain('e-mail');
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.getAttribute('aria-describedby')).toContain('password-error');
    expect(await page.getByText('3 fields need fixing.').count()).toBe(1);
    await screenshot(page, 'register-errors');

    // A taken username is that field's error; the others are clean again.
    await page.getByLabel('Username').fill(taken);
    await page.getByLabel('E-mail (optional)').fill('');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('This username is already taken').waitFor();
    expect(await page.locator('#password-error').count()).toBe(0);

    // Mismatched passwords never reach the server.
    await page.getByLabel('Repeat password').fill('something else');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#password2-error').waitFor();

    // A wrong password at login is said next to the form.
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Username or e-mail').fill(taken);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('The password you entered is not correct').waitFor();
    expect(page.url()).toBe(`${server.url}/login`);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('sends visitors who are logged out to the login page, and says when registration is closed', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${server.url}/account/lists`);
    expect(page.url()).toBe(`${server.url}/login?redirect=%2Faccount%2Flists`);
    await page.goto(`${server.url}/account`);
    expect(page.url()).toBe(`${server.url}/login?redirect=%2Faccount`);

    const closed = await startServer({ registration: 'closed' });
    try {
      await page.goto(`${closed.url}/register`);
      await page.getByText(/Registration is closed/).waitFor();
      expect(await page.getByLabel('Password').count()).toBe(0);
      await page.goto(`${closed.url}/login`);
      expect(await page.getByRole('link', { name: 'Register' }).count()).toBe(0);
    } finally {
      await closed.close();
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('creates an API key shown once, which works until it is revoked', async () => {
    const { context, page, problems } = await newPage(browser);
    const cookieKey = await apiUser(newName());
    await loggedIn(context, cookieKey);
    await page.goto(`${server.url}/account/keys`);
    // This browser's own key is marked.
    await page.getByText('This session').waitFor();
    await page.getByLabel('App name').fill('test uploader');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = (await shown.textContent())!.trim();
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByText('will not be shown again').waitFor();
    await page.getByRole('row', { name: /test uploader/ }).waitFor();
    await screenshot(page, 'account-keys');

    const put = () =>
      fetch(`${server.url}/api/file/x.txt`, {
        method: 'PUT',
        headers: { Authorization: 'Basic ' + Buffer.from(':' + key).toString('base64') },
        body: 'uploaded with the new key',
      });
    const first = await put();
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };

    await page.goto(`${server.url}/account`);
    const link = page.getByRole('link', { name: 'x.txt' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`/u/${id}`);

    // Shown once: a reload lists the key by name and id only.
    await page.goto(`${server.url}/account/keys`);
    const row = page.getByRole('row', { name: /test uploader/ });
    await row.waitFor();
    expect(await page.getByTestId('new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke key test uploader' }).click();
    await page.getByText('Revoked the key “test uploader”.').waitFor();
    // The list reloads after the notice: wait for it.
    await expect.poll(() => page.getByRole('row', { name: /test uploader/ }).count()).toBe(0);
    expect((await put()).status).toBe(401);

    // The curl recipe names this server (KEY until an upload key is made for the recipes).
    expect(await page.getByTestId('recipe-curl').textContent()).toBe(
      `curl -T file.txt -u ':KEY' '${server.url}/api/file/'`,
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it('uploader recipes: an upload key filled in, the curl command shown works, fits a phone', async () => {
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 390, height: 844 },
    });
    const key = await apiUser(newName());
    await loggedIn(context, key);
    await page.goto(`${server.url}/account/keys`);
    await page.getByText('This session').waitFor();
    await page.getByRole('button', { name: 'Make an upload key for these recipes' }).click();
    await page.getByText('Filled in with a new upload-only key').waitFor();
    await page.getByRole('row', { name: /uploader/ }).waitFor();
    const curl = (await page.getByTestId('recipe-curl').textContent())!;
    expect(curl).toMatch(
      new RegExp(`^curl -T file\\.txt -u ':[0-9a-f-]{36}' '${server.url}/api/file/'$`),
    );
    const flameshot = (await page.getByTestId('recipe-flameshot').textContent())!;
    expect(flameshot).toContain(`'${server.url}/api/file/screenshot.png'`);
    expect(flameshot.startsWith('#!/bin/sh\n')).toBe(true);
    const steps = (await page.getByTestId('recipe-shortcut').textContent())!;
    expect(steps).toContain(`${server.url}/api/file/`);
    expect(steps).toMatch(/Authorization = Basic [A-Za-z0-9+/=]+/);
    await screenshot(page, 'account-uploader-recipes');
    // Readable on a phone: nothing wider than the screen.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBe(0);

    // The command as shown, run: the file lands in the account.
    const dir = await tempDir('stowage-curl-recipe-');
    try {
      await fs.writeFile(path.join(dir, 'file.txt'), 'from the keys page');
      const run = await bash(curl, dir);
      expect(run.code, run.err).toBe(0);
      const { id } = JSON.parse(run.out) as { id: string };
      const mine = await fetch(`${server.url}/api/user/files`, {
        headers: { Authorization: basic(key) },
      });
      const files = ((await mine.json()) as { files: { id: string }[] }).files;
      expect(files.map((f) => f.id)).toContain(id);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('downloads a ShareX config carrying a new "sharex" key', async () => {
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, await apiUser(newName()));
    await page.goto(`${server.url}/account/keys`);
    await page.getByText('This session').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download ShareX config' }).click();
    expect((await download).suggestedFilename()).toMatch(/\.sxcu$/);
    await page.getByRole('row', { name: /sharex/ }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('My files: search, sort, make a list of the selection, delete the selection', async () => {
    const { context, page, problems } = await newPage(browser);
    const key = await apiUser(newName());
    await loggedIn(context, key);
    const ids = {
      alpha: await upload(key, 'alpha.txt', 'a'.repeat(10)),
      beta: await upload(key, 'beta.log', 'b'.repeat(1000)),
      gamma: await upload(key, 'gamma notes.txt', 'c'.repeat(100)),
    };
    await page.goto(`${server.url}/account`);
    await waitRows(page, 3);
    await page.getByText('3 files · 1.11 kB total').waitFor();

    await page.getByLabel('Search by name').fill('TXT');
    await waitRows(page, 2);
    expect((await rowNames(page)).sort()).toEqual(['alpha.txt', 'gamma notes.txt']);
    await page.getByLabel('Search by name').fill('notes gam');
    await waitRows(page, 1);
    await page.getByLabel('Search by name').fill('');
    await waitRows(page, 3);

    const sizeHeader = page.getByRole('columnheader', { name: 'Size' });
    await sizeHeader.getByRole('button').click();
    expect(await sizeHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await rowNames(page)).toEqual(['beta.log', 'gamma notes.txt', 'alpha.txt']);
    await sizeHeader.getByRole('button').click();
    expect(await sizeHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await rowNames(page)).toEqual(['alpha.txt', 'gamma notes.txt', 'beta.log']);
    expect(
      await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort'),
    ).toBeNull();

    await page.getByLabel('Select alpha.txt').check();
    await page.getByLabel('Select gamma notes.txt').check();
    await page.getByText('2 selected · 110 B').waitFor();
    expect(await page.getByLabel('Select all shown files').isChecked()).toBe(false);

    await page.getByRole('button', { name: 'Make a list of selected' }).click();
    await page.getByLabel('List title').fill('My pair');
    await page.getByRole('button', { name: 'Create list of 2 files' }).click();
    const open = page.getByRole('link', { name: 'Open list “My pair”' });
    await open.waitFor();
    await screenshot(page, 'account-files');
    const listId = (await open.getAttribute('href'))!.replace('/l/', '');
    const list = (await (await fetch(`${server.url}/api/list/${listId}`)).json()) as {
      title: string;
      files: { id: string }[];
    };
    expect(list.title).toBe('My pair');
    expect(list.files.map((f) => f.id)).toEqual([ids.alpha, ids.gamma]);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await waitRows(page, 1);
    await page.getByText('Deleted 2 files.').waitFor();
    expect(await rowNames(page)).toEqual(['beta.log']);
    expect(await myFiles(key)).toEqual(['beta.log']);
    expect((await fetch(`${server.url}/api/file/${ids.alpha}/info`)).status).toBe(404);

    // Select all, then cancel the confirmation: nothing goes.
    await page.getByLabel('Select all shown files').check();
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: 'Delete selected' }).click();
    expect(await myFiles(key)).toEqual(['beta.log']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('My lists: lists with their file counts, and deletes one', async () => {
    const { context, page, problems } = await newPage(browser);
    const key = await apiUser(newName());
    await loggedIn(context, key);
    const a = await upload(key, 'one.txt', 'one');
    const b = await upload(key, 'two.txt', 'two');
    const r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(key) },
      body: JSON.stringify({ title: 'Holiday', files: [{ id: a }, { id: b }] }),
    });
    const { id } = (await r.json()) as { id: string };
    await page.goto(`${server.url}/account/lists`);
    const row = page.getByRole('row', { name: /Holiday/ });
    await row.waitFor();
    expect(await row.getByRole('link', { name: 'Holiday' }).getAttribute('href')).toBe(`/l/${id}`);
    expect(await row.locator('td.num').textContent()).toBe('2');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Delete list Holiday' }).click();
    await page.getByText('You have no lists yet.').waitFor();
    expect((await fetch(`${server.url}/api/list/${id}`)).status).toBe(404);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('settings: usage, a new password, and deleting the account', async () => {
    const { context, page, problems } = await newPage(browser);
    const username = newName();
    const key = await apiUser(username);
    await loggedIn(context, key);
    await upload(key, 'usage.bin', 'x'.repeat(2500));
    await page.goto(`${server.url}/account/settings`);
    await page.getByText('2.50 kB').waitFor();
    // The account's storage quota (STOWAGE_USER_STORAGE_QUOTA, 20 GB by default).
    await page.getByText(/2\.50 kB of 20(\.0)? GB/).waitFor();
    await page.getByText('Largest file').waitFor();

    // A change needs the current password: a wrong one is said next to its field.
    await page.locator('#old-password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#new-password-error').waitFor();
    await page.getByLabel('New password', { exact: true }).fill('a brand new password');
    await page.getByLabel('Repeat new password').fill('a brand new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#old-password-error').waitFor();
    expect(await page.locator('#old-password-error').textContent()).toContain('not correct');
    await apiLogin(username, PASSWORD);
    await page.locator('#old-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await apiLogin(username, 'a brand new password');
    // The e-mail address too: with the (new) current password.
    await page.getByLabel('E-mail').fill('me@example.org');
    await page.locator('#email-current-password').fill('a brand new password');
    await page.getByRole('button', { name: 'Save e-mail' }).click();
    await page.getByText('E-mail address saved.').waitFor();
    await screenshot(page, 'account-settings');

    const del = page.getByRole('button', { name: 'Delete my account' });
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(/Type your username/).fill(username);
    await del.click();
    await page.waitForURL(`${server.url}/`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Log in' })
      .waitFor();
    await expect(apiLogin(username, 'a brand new password')).rejects.toThrow(/404/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works on a phone, in the dark theme', async () => {
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 390, height: 844 },
    });
    const key = await apiUser(newName());
    await loggedIn(context, key);
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    await upload(key, 'holiday photo with a rather long name.jpg', 'p'.repeat(123456));
    await upload(key, 'notes.md', '# notes');
    await page.goto(`${server.url}/account`);
    await waitRows(page, 2);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, 'account-mobile');
    expect(problems).toEqual([]);
    await context.close();
  });
});
