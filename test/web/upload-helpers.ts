// The upload page's queue helpers shared by the browser suites of the home page.
import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { TestServer } from '../helpers.js';

export interface FileInfo {
  id: string;
  name: string;
  size: number;
}

/** The queue row of the file called `name`. */
export function row(page: Page, name: string): Locator {
  return page.getByRole('listitem').filter({ has: page.getByText(name, { exact: true }) });
}

/** Wait for the row of `name` to reach `state` (data-state on the row). */
export async function waitState(page: Page, name: string, state: string): Promise<Locator> {
  const r = page.locator(`li[data-state="${state}"]`).filter({
    has: page.getByText(name, { exact: true }),
  });
  await r.waitFor();
  return r;
}

/** The id of a done row, from its share link (the link's text is the file's name when folded). */
export async function uploadedId(r: Locator, origin: string): Promise<string> {
  const href = await r.locator('a[href*="/u/"]').first().getAttribute('href');
  expect(href?.startsWith(`${origin}/u/`)).toBe(true);
  return decodeURIComponent(href!.slice(`${origin}/u/`.length).split('#')[0]!);
}

export async function info(
  server: TestServer,
  id: string,
): Promise<{ status: number; body: FileInfo }> {
  const r = await fetch(`${server.url}/api/file/${encodeURIComponent(id)}/info`);
  return { status: r.status, body: (await r.json()) as FileInfo };
}
