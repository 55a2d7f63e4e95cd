// The admin area in a real browser: who may open it (login page for visitors, 403 for other
// accounts), its sections, and the flow end to end: a stranger reports a file from the
// viewer, the report appears in the admin area, the admin blocks the file from it, and the viewer
// then answers 451 and shows the type and the reason; search by name and SHA-256; disabling a
// user; the audit log lists every action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch, newPage, screenshot } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`admin area (browser) suite skipped: ${skip}`);

const TABS: Array<[string, string, string]> = [
  ['/admin', 'Overview', 'Overview'],
  ['/admin/reports', 'Reports', 'Reports'],
  ['/admin/files', 'Files', 'Files'],
  ['/admin/hashes', 'Blocked hashes', 'Blocked hashes'],
  ['/admin/users', 'Users', 'Users'],
  ['/admin/invites', 'Invites', 'Invites'],
  ['/admin/audit', 'Audit log', 'Audit log'],
];

describe.skipIf(skip !== null)('the admin area in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let adminKey: string;
  let userKey: string;
  let counter = 0;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    adminKey = await createUserWithKey(server, 'boss', { admin: true });
    userKey = await createUserWithKey(server, 'someone');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function loggedIn(context: BrowserContext, key: string): Promise<void> {
    await context.addCookies([
      { name: 'pd_auth_key', value: key, url: server.url, httpOnly: true, sameSite: 'Lax' },
    ]);
  }

  async function upload(key: string | null, name: string, body: string): Promise<string> {
    const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: key ? { Authorization: basic(key) } : {},
      body,
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  }

  const adminApi = async (path: string) => {
    const r = await fetch(`${server.url}/api/admin${path}`, {
      headers: { Authorization: basic(adminKey) },
    });
    expect(r.status).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };

  /** Fill in the open action dialog's reason and confirm with `button`. */
  async function confirmAction(page: Page, button: string, reason: string): Promise<void> {
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill(reason);
    await dialog.getByRole('button', { name: button, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('sends visitors to the login page, answers 403 to other accounts and 404 to unknown sections', async () => {
    for (const [path] of TABS) {
      const anon = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(anon.status, path).toBe(303);
      expect(anon.headers.get('location')).toBe(`/login?redirect=${encodeURIComponent(path)}`);
      const plain = await fetch(`${server.url}${path}`, {
        headers: { Cookie: `pd_auth_key=${userKey}`, Accept: 'text/html' },
      });
      expect(plain.status, path).toBe(403);
      expect(await plain.text()).not.toContain('aria-label="Admin"');
    }
    const none = await fetch(`${server.url}/admin/nothing`, {
      headers: { Cookie: `pd_auth_key=${adminKey}` },
    });
    expect(none.status).toBe(404);

    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, userKey);
    const res = await page.goto(`${server.url}/admin/reports`);
    expect(res?.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Forbidden');
    // No way in from the pages either.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'My files' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows admins the Admin link and every section, with its tab marked', async () => {
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin' })
      .click();
    await page.waitForURL(`${server.url}/admin`);
    for (const [path, tab, heading] of TABS) {
      const res = await page.goto(`${server.url}${path}`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self' 'nonce-");
      await page.getByRole('heading', { level: 2, name: heading, exact: true }).waitFor();
      const link = page.getByRole('navigation', { name: 'Admin' }).getByRole('link', {
        name: tab,
        exact: true,
      });
      expect(await link.getAttribute('aria-current'), path).toBe('page');
      await page.waitForLoadState('networkidle');
      expect(await page.getByRole('alert').count(), `${path}: an error is shown`).toBe(0);
    }
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('stats').waitFor();
    const stats = await adminApi('/stats');
    expect(await page.getByTestId('stat-users').textContent()).toBe(String(stats.users));
    expect(await page.getByTestId('stat-files').textContent()).toBe(String(stats.files));
    await page.getByTestId('instance-limits').getByText('60 days without a download').waitFor();
    await screenshot(page, 'admin-overview');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a report from the viewer, blocked from the admin area: the viewer answers 451 with the reason', async () => {
    const owner = await createUserWithKey(server, `owner${counter++}`);
    const name = `<img src=x onerror=alert(1)> holiday & "photos" ${Date.now()}.txt`;
    const id = await upload(owner, name, 'the reported bytes\n');

    // A stranger reports it.
    const stranger = await newPage(browser);
    await stranger.page.goto(`${server.url}/u/${id}`);
    await stranger.page.getByRole('button', { name: 'Report abuse' }).click();
    const dialog = stranger.page.getByRole('dialog', { name: 'Report abuse' });
    await dialog.getByLabel('Personal information published without consent (doxing)').check();
    await dialog.getByLabel('Description').fill('My <i>address</i> is in this file.');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByText('Thank you.').waitFor();
    expect(stranger.problems).toEqual([]);

    // The admin sees it among the open reports, and blocks the file from there.
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/reports`);
    const report = page.getByTestId('report').filter({ hasText: name });
    await report.waitFor();
    // User strings are text, never markup.
    expect(await report.getByRole('link', { name }).getAttribute('href')).toBe(`/u/${id}`);
    await report.getByText('My <i>address</i> is in this file.').waitFor();
    expect(await report.getByTestId('report-type').textContent()).toBe(
      'Personal information published without consent (doxing)',
    );
    expect(await report.locator('img, i').count()).toBe(0);
    await report.getByRole('button', { name: 'Block file' }).click();
    await screenshot(page, 'admin-block-dialog');
    await confirmAction(page, 'Block file', 'Published an address <script>x</script>');
    await page.getByText(`Blocked ${name}.`).waitFor();
    await page.getByText('No open reports.').waitFor();
    expect(problems).toEqual([]);

    // The API agrees, the report is resolved.
    const info = (await (await fetch(`${server.url}/api/file/${id}/info`)).json()) as Record<
      string,
      unknown
    >;
    expect(info.abuse_type).toBe('doxing');

    // The viewer: 451, the notice with the type in words and the reason, no download.
    const res = await stranger.page.goto(`${server.url}/u/${id}`);
    expect(res?.status()).toBe(451);
    const notice = stranger.page.getByRole('region', { name: 'This file has been blocked' });
    await notice.waitFor();
    expect(await notice.getByTestId('abuse-type').textContent()).toBe(
      'Personal information published without consent (doxing)',
    );
    expect(await notice.getByTestId('block-reason').textContent()).toBe(
      'Published an address <script>x</script>',
    );
    expect(await stranger.page.getByRole('link', { name: 'Download' }).count()).toBe(0);
    expect(await stranger.page.getByRole('button', { name: 'Report abuse' }).count()).toBe(0);
    await screenshot(stranger.page, 'viewer-blocked');
    expect(stranger.problems).toEqual([]);
    await stranger.context.close();

    // The file's details say so (reached from its page), and unblocking brings it back.
    await page.goto(`${server.url}/u/${id}`);
    // Admins see the notice too, and may still download the file.
    await page.getByRole('region', { name: 'This file has been blocked' }).waitFor();
    expect(await page.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(
      `/api/file/${id}?download`,
    );
    const asAdmin = await fetch(`${server.url}/api/file/${id}?download`, {
      headers: { Authorization: basic(adminKey) },
    });
    expect(asAdmin.status).toBe(200);
    expect(await asAdmin.text()).toBe('the reported bytes\n');
    await page.getByRole('link', { name: 'Manage as admin' }).click();
    await page.waitForURL(`${server.url}/admin/files?file=${id}`);
    const details = page.getByTestId('file-details');
    expect(await details.getByTestId('admin-abuse-type').textContent()).toBe(
      'Personal information published without consent (doxing)',
    );
    await details.getByRole('button', { name: 'Unblock' }).click();
    await confirmAction(page, 'Unblock', 'a mistake');
    await details.getByRole('button', { name: 'Block', exact: true }).waitFor();
    expect((await fetch(`${server.url}/u/${id}`)).status).toBe(200);

    // The audit log has both actions, by this admin, with their reasons (as text).
    await page.goto(`${server.url}/admin/audit`);
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await rows.first().waitFor();
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain('Published an address <script>x</script>');
    expect(text).toContain('a mistake');
    expect(text).toContain('boss');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('finds files by name and by SHA-256; blocks one with a type; blocks its bytes', async () => {
    const owner = await createUserWithKey(server, `finder${counter++}`);
    const marker = `needle${Date.now()}`;
    const body = `unique bytes ${marker}\n`;
    const id = await upload(owner, `${marker}.txt`, body);
    const sha = (
      (await (await fetch(`${server.url}/api/file/${id}/info`)).json()) as {
        hash_sha256: string;
      }
    ).hash_sha256;

    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/files`);
    const search = page.getByRole('search', { name: 'Find files' });
    await search.getByLabel('Search').fill(marker);
    await search.getByLabel('By').selectOption('name');
    await search.getByRole('button', { name: 'Search' }).click();
    const results = page.getByTestId('file-results');
    await results.getByRole('link', { name: `${marker}.txt` }).waitFor();
    expect(page.url()).toContain(`q=${marker}`);

    await search.getByLabel('Search').fill(sha);
    await search.getByLabel('By').selectOption('sha256');
    await search.getByRole('button', { name: 'Search' }).click();
    await results.getByRole('link', { name: `${marker}.txt` }).click();
    const details = page.getByTestId('file-details');
    expect(await details.getByTestId('admin-sha256').textContent()).toBe(sha);
    expect(page.url()).toContain(`file=${id}`);

    // Block with a type chosen in the dialog.
    await details.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('dialog').getByLabel('Type of abuse').selectOption('malware');
    await confirmAction(page, 'Block file', 'a trojan');
    await details.getByTestId('admin-abuse-type').waitFor();
    expect(await details.getByTestId('admin-abuse-type').textContent()).toBe('Malware or a virus');

    // Its bytes: the same content cannot be uploaded again.
    await details.getByRole('button', { name: 'Block these bytes' }).click();
    await confirmAction(page, 'Block hash', 'never again');
    await page.getByText('The hash is blocked.').waitFor();
    const again = await fetch(`${server.url}/api/file/again.txt`, {
      method: 'PUT',
      headers: { Authorization: basic(owner) },
      body,
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
    await page.goto(`${server.url}/admin/hashes`);
    await page.getByTestId('hashes-table').getByText(sha).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('disables a user, exempts them from hotlinking, makes them admin, deletes them', async () => {
    const username = `victim${counter++}`;
    const key = await createUserWithKey(server, username);
    expect(
      (await fetch(`${server.url}/api/user`, { headers: { Authorization: basic(key) } })).status,
    ).toBe(200);

    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/users`);
    const search = page.getByRole('search', { name: 'Find users' });
    await search.getByLabel('Username or e-mail').fill(username);
    await search.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('users-table').getByRole('link', { name: username }).click();
    const details = page.getByTestId('user-details');
    expect(await details.getByTestId('user-state').textContent()).toBe('Active');
    await details.getByRole('button', { name: 'Disable' }).click();
    await confirmAction(page, 'Disable', 'spamming');
    await details.getByRole('button', { name: 'Enable' }).waitFor();
    expect(await details.getByTestId('user-state').textContent()).toBe('Disabled');
    expect(
      (await fetch(`${server.url}/api/user`, { headers: { Authorization: basic(key) } })).status,
    ).not.toBe(200);
    const users = (await adminApi(`/users?q=${username}`)) as {
      users: Array<{ username: string; disabled: boolean }>;
    };
    expect(users.users.find((u) => u.username === username)?.disabled).toBe(true);
    await screenshot(page, 'admin-user');

    // Hotlinking exemption and the admin role, each through its dialog; then deletion.
    await details.getByRole('button', { name: 'Allow hotlinking' }).click();
    await confirmAction(page, 'Allow', 'a partner');
    await details.getByRole('button', { name: 'Stop allowing hotlinking' }).waitFor();
    await details.getByRole('button', { name: 'Make admin' }).click();
    await confirmAction(page, 'Make admin', 'new moderator');
    await details.getByRole('button', { name: 'Remove admin' }).waitFor();
    const after = (await adminApi(`/users?q=${username}`)) as {
      users: Array<{ username: string; is_admin: boolean; hotlink_exempt: boolean; id: string }>;
    };
    const row = after.users.find((u) => u.username === username)!;
    expect(row).toMatchObject({ is_admin: true, hotlink_exempt: true });
    await details.getByRole('button', { name: 'Delete' }).click();
    await confirmAction(page, 'Delete account', 'gone');
    await details.getByText(`Deleted ${username}.`).waitFor();
    const gone = await fetch(`${server.url}/api/admin/users/${row.id}`, {
      headers: { Authorization: basic(adminKey) },
    });
    expect(gone.status).toBe(404);

    // Admins cannot lock themselves out from here: no disable, role or delete buttons.
    const me = (await server.app.runtime.core.accounts.userByName('boss')).id;
    await page.goto(`${server.url}/admin/users?user=${me}`);
    await details.getByRole('button', { name: 'Allow hotlinking' }).waitFor();
    for (const name of ['Disable', 'Remove admin', 'Delete']) {
      expect(await details.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it("sets a user's quota from the form; the next upload over it is refused", async () => {
    const username = `quota${counter++}`;
    const key = await createUserWithKey(server, username);
    const id = (await server.app.runtime.core.accounts.userByName(username)).id;

    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/users?user=${id}`);
    const form = page.getByRole('form', { name: 'Quota and limits' });
    await form.getByLabel('Storage quota').fill('ten gigs');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByText('Not a size').waitFor();
    await form.getByLabel('Storage quota').fill('1 kB');
    await form.getByLabel('Maximum files').fill('unlimited');
    await form.getByLabel('Files never expire for inactivity').check();
    await form.getByLabel('Reason').fill('trial account');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Limits saved.').waitFor();
    const shown = (await adminApi(`/users/${id}`)) as {
      user: { limits: Record<string, number | null>; expiry_exempt: boolean };
    };
    expect(shown.user.limits).toEqual({
      storage_quota: 1000,
      daily_upload_quota: null,
      max_files: -1,
    });
    expect(shown.user.expiry_exempt).toBe(true);
    // The form shows the saved values again.
    await page.reload();
    expect(await form.getByLabel('Storage quota').inputValue()).toBe('1 kB');
    expect(await form.getByLabel('Maximum files').inputValue()).toBe('unlimited');

    const big = await fetch(`${server.url}/api/file/big.bin`, {
      method: 'PUT',
      headers: { Authorization: basic(key) },
      body: 'x'.repeat(2000),
    });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { value: string }).value).toBe('user_out_of_space');
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows the API's error in the dialog, which stays open; deletes a file; dismisses a report", async () => {
    const owner = await createUserWithKey(server, `gone${counter++}`);
    const id = await upload(owner, 'short-lived.txt', 'short-lived\n');
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/files?file=${id}`);
    const details = page.getByTestId('file-details');
    await details.getByRole('button', { name: 'Block', exact: true }).click();
    // Deleted by someone else meanwhile: the API's not_found message, the dialog still open.
    const del = await fetch(`${server.url}/api/file/${id}`, {
      method: 'DELETE',
      headers: { Authorization: basic(owner) },
    });
    expect(del.status).toBe(200);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Block file' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(3);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Delete, confirmed in the dialog.
    const other = await upload(owner, 'to-delete.txt', 'to delete\n');
    await page.goto(`${server.url}/admin/files?file=${other}`);
    await details.getByRole('button', { name: 'Delete' }).click();
    await confirmAction(page, 'Delete file', 'illegal');
    await page.getByText('Deleted to-delete.txt.').waitFor();
    expect((await fetch(`${server.url}/api/file/${other}/info`)).status).toBe(404);

    // A report dismissed: the file stays online.
    const kept = await upload(owner, 'harmless.txt', 'harmless\n');
    await server.app.runtime.core.reports.create(
      kept,
      { type: 'other', description: 'I do not like it' },
      { ip: '127.0.0.77', userId: null },
    );
    await page.goto(`${server.url}/admin/reports`);
    const report = page.getByTestId('report').filter({ hasText: 'harmless.txt' });
    await report.getByRole('button', { name: 'Dismiss' }).click();
    await confirmAction(page, 'Dismiss', 'not abuse');
    await page.getByText('Dismissed the report of harmless.txt.').waitFor();
    await page
      .getByTestId('report')
      .filter({ hasText: 'harmless.txt' })
      .waitFor({ state: 'detached' });
    await page.getByLabel('Show').selectOption('dismissed');
    await page.getByTestId('report').filter({ hasText: 'harmless.txt' }).waitFor();
    expect(page.url()).toContain('status=dismissed');
    expect((await fetch(`${server.url}/u/${kept}`)).status).toBe(200);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('creates an invite link to copy; the invite is listed', async () => {
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/invites`);
    await page.getByLabel('Valid for (days)').fill('3');
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const url = await page.getByTestId('invite-url').inputValue();
    expect(url).toMatch(new RegExp(`^${server.url}/register\\?invite=[A-Za-z0-9]+$`));
    await page.getByRole('button', { name: 'Copy link' }).waitFor();
    const list = (await adminApi('/invites')) as { invites: Array<{ expires: string }> };
    expect(list.invites.length).toBeGreaterThan(0);
    await page.getByRole('table').getByText('Open').first().waitFor();
    // The link opens the registration page with the code filled in.
    const reg = await fetch(url);
    expect(reg.status).toBe(200);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works on a phone, in the dark theme: no page wider than the screen', async () => {
    const owner = await createUserWithKey(server, `phone${counter++}`);
    const id = await upload(
      owner,
      `a rather long file name for a small screen ${'x'.repeat(60)}.txt`,
      'phone\n',
    );
    await server.app.runtime.core.reports.create(
      id,
      { type: 'gore', description: 'y'.repeat(300) },
      { ip: '127.0.0.88', userId: null },
    );
    const { context, page, problems } = await newPage(browser, {
      viewport: { width: 390, height: 844 },
    });
    await loggedIn(context, adminKey);
    await context.addCookies([{ name: 'theme', value: 'dark', url: server.url }]);
    for (const path of [
      '/admin',
      '/admin/reports',
      `/admin/files?file=${id}`,
      `/admin/files?q=${id}`,
      '/admin/users',
      '/admin/audit',
    ]) {
      await page.goto(`${server.url}${path}`);
      await page.waitForLoadState('networkidle');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, path).toBeLessThanOrEqual(390);
    }
    await page.goto(`${server.url}/admin/reports`);
    await page.getByTestId('report').first().waitFor();
    await screenshot(page, 'admin-reports-mobile');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the audit log lists the actions, newest first, with pages and a filter', async () => {
    const { audit } = server.app.runtime.core;
    for (let i = 0; i < 55; i++) {
      await audit.record(
        { userId: null, name: 'cli' },
        'file.delete',
        { type: 'file', id: `f${i}` },
        `bulk ${i}`,
      );
    }
    const { context, page, problems } = await newPage(browser);
    await loggedIn(context, adminKey);
    await page.goto(`${server.url}/admin/audit`);
    const table = page.getByTestId('audit-table');
    await table.waitFor();
    const bulk = async () =>
      (await table.locator('tbody tr td.reason').allTextContents()).filter((t) =>
        t.startsWith('bulk '),
      );
    // The newest first: the first page is 50 of these 55 (recorded last, in the same moments).
    const first = await bulk();
    expect(first).toHaveLength(50);
    const total = (await adminApi('/audit?limit=1')).total as number;
    await page.getByText(`1–50 of ${total}`).waitFor();
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText(`51–${Math.min(100, total)} of ${total}`).waitFor();
    expect(page.url()).toContain('offset=50');
    // The next page starts with the other 5, none of the first page's again.
    const second = (await bulk()).slice(0, 5);
    expect(second).toHaveLength(5);
    expect(new Set([...first, ...second]).size).toBe(55);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText(`1–50 of ${total}`).waitFor();

    await page.getByLabel('Target ID').fill('f7');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('1–1 of 1').waitFor();
    expect(await table.locator('tbody tr').first().textContent()).toContain('bulk 7');

    expect(problems).toEqual([]);
    await context.close();
  });
});
