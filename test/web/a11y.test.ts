// Accessibility basics of every main page, checked by axe-core in chromium: labels, alt text,
// names of buttons and links, landmarks, contrast, ARIA use. Serious and critical findings fail.
// (axe is injected by the test through the DevTools protocol; the pages' CSP is bypassed for that
// alone, in this context only.)
import { createRequire } from 'node:module';
import fs from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { basic, createUserWithKey, startServer, type TestServer } from '../helpers.js';
import { browserUnavailable, launch } from './browser.js';

const skip = browserUnavailable();
if (skip) console.warn(`web accessibility (browser) suite skipped: ${skip}`);

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run: (o: unknown) => Promise<{ violations: unknown[] }> };
    };
    const r = await w.axe.run({ resultTypes: ['violations'] });
    return r.violations;
  })) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
}

describe.skipIf(skip !== null)('accessibility of the pages (axe-core)', () => {
  let server: TestServer;
  let browser: Browser;
  let key: string;
  let fileId: string;
  let listId: string;
  let blockedId: string;
  let userId: string;

  beforeAll(async () => {
    server = await startServer();
    browser = await launch();
    // An admin: the admin area's pages are checked too.
    key = await createUserWithKey(server, 'a11yuser', { admin: true });
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#48c' } })
      .png()
      .toBuffer();
    const ids: string[] = [];
    for (const [name, body] of [
      ['pic.png', png],
      ['notes.md', Buffer.from('# Notes\n\nSome *text*.\n')],
    ] as const) {
      const r = await fetch(`${server.url}/api/file/${name}`, {
        method: 'PUT',
        body: new Uint8Array(body),
        headers: { Authorization: basic(key) },
      });
      ids.push(((await r.json()) as { id: string }).id);
    }
    fileId = ids[0]!;
    const l = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basic(key) },
      body: JSON.stringify({ title: 'Mine', files: ids.map((id) => ({ id })) }),
    });
    listId = ((await l.json()) as { id: string }).id;
    // A blocked file (its page shows why) and a report to review.
    const b = await fetch(`${server.url}/api/file/blocked.txt`, {
      method: 'PUT',
      body: 'blocked\n',
      headers: { Authorization: basic(key) },
    });
    blockedId = ((await b.json()) as { id: string }).id;
    const { core } = server.app.runtime;
    await core.reports.create(
      fileId,
      { type: 'gore', description: 'A report' },
      {
        ip: '127.0.0.9',
        userId: null,
      },
    );
    await core.blocks.block(blockedId, 'copyright', 'A notice', { userId: null, name: 'cli' });
    userId = (await core.accounts.userByName('a11yuser')).id;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const pages: Array<[string, () => string, boolean]> = [
    ['upload page', () => '/', false],
    ['file viewer', () => `/u/${fileId}`, false],
    ['list gallery', () => `/l/${listId}`, false],
    ['list item', () => `/l/${listId}#item=1`, false],
    ['login', () => '/login', false],
    ['register', () => '/register', false],
    ['about', () => '/about', false],
    ['404', () => '/u/nosuchfile', false],
    ['blocked file', () => `/u/${blockedId}`, false],
    ['my files', () => '/account', true],
    ['my lists', () => '/account/lists', true],
    ['API keys', () => '/account/keys', true],
    ['settings', () => '/account/settings', true],
    ['admin overview', () => '/admin', true],
    ['admin reports', () => '/admin/reports', true],
    ['admin files', () => `/admin/files?q=pic`, true],
    ['admin file details', () => `/admin/files?file=${fileId}`, true],
    ['admin hashes', () => '/admin/hashes', true],
    ['admin users', () => '/admin/users', true],
    ['admin user details', () => `/admin/users?user=${userId}`, true],
    ['admin invites', () => '/admin/invites', true],
    ['admin audit log', () => '/admin/audit', true],
  ];

  for (const theme of ['light', 'dark']) {
    it(`has no serious or critical findings on any page, ${theme} theme`, async () => {
      const context = await browser.newContext({
        bypassCSP: true,
        viewport: { width: 1280, height: 800 },
      });
      const url = new URL(server.url);
      await context.addCookies([{ name: 'theme', value: theme, domain: url.hostname, path: '/' }]);
      const found: string[] = [];
      for (const [name, path, loggedIn] of pages) {
        if (loggedIn) {
          await context.addCookies([
            { name: 'pd_auth_key', value: key, domain: url.hostname, path: '/', httpOnly: true },
          ]);
        }
        const page = await context.newPage();
        await page.goto(`${server.url}${path()}`);
        await page.waitForLoadState('networkidle');
        for (const v of await axe(page)) found.push(`${name}: ${v}`);
        await page.close();
      }
      await context.close();
      expect(found).toEqual([]);
      // Some thirty pages, each loaded and audited in turn: over a minute on a loaded machine.
    }, 240_000);
  }
});
