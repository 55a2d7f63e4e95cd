// Browser tests: Debian's chromium driven by playwright-core. Where chromium is missing the
// suites skip with a reason; under CI=true they fail instead (.ci/run installs it).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers.js';

export const CHROMIUM = process.env.STOWAGE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Why the browser suites cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  if (fs.existsSync(CHROMIUM)) return null;
  const reason = `chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: required under CI=true`);
  return reason;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/**
 * A fresh context (own cookies) whose pages fail the test on any CSP violation, uncaught error
 * or console error: a hydration mismatch or a blocked script must not pass silently.
 */
export async function newPage(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; hasTouch?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    hasTouch: opts.hasTouch ?? false,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Failed loads are judged below, by what failed (a 404 page is itself a 404 document).
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    const req = res.request();
    if (
      res.status() >= 400 &&
      req.resourceType() !== 'document' &&
      req.resourceType() !== 'fetch' &&
      req.resourceType() !== 'xhr'
    ) {
      problems.push(`${res.status()} for ${req.resourceType()} ${res.url()}`);
    }
  });
  return { context, page, problems };
}

/** Save a screenshot under test-results/ (git-ignored) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(ROOT, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

let axeSource: string | null = null;

/** axe-core's serious and critical findings on the page (as test/web/a11y.test.ts runs it). */
export async function axeFindings(page: Page): Promise<string[]> {
  axeSource ??= fs.readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
    'utf8',
  );
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run: (o: unknown) => Promise<{ violations: unknown[] }> };
    };
    return (await w.axe.run({ resultTypes: ['violations'] })).violations;
  })) as Array<{ id: string; impact: string | null; nodes: { target: string[] }[] }>;
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
