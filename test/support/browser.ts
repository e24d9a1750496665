import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/project.js';
import type { LocalStackProcess } from './local-stack-process.js';

// The page functions below run in the browser; the tests are type-checked with Node's types only.
declare const document: {
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};
declare const window: { __reportCspViolation(text: string): void };

/** Debian's Chromium; Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the background-networking flags Chromium keeps trying network connections this machine does not have. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Where the tests write their screenshots: `test-output/screenshots/` (ignored by git), or the
 * folder `SCREENSHOT_DIR` names, relative to the project; `npm run docs:screenshots` names
 * `docs/ui`, the screenshots the README shows.
 */
export const SCREENSHOT_DIR = path.resolve(PROJECT_ROOT, process.env.SCREENSHOT_DIR ?? 'test-output/screenshots');

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 740 } as const;

/**
 * Starts Chromium with a fresh profile (Playwright gives each launch its own temporary
 * user-data directory). A missing browser fails the test run; it never skips it.
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, which is missing. Install Debian's Chromium ` +
        '(as root: `apt-get update && apt-get install -y --no-install-recommends chromium`) and run the tests again.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/** A browser context as a person on a desktop (or `viewport`) would have it: English, UTC, no saved state. */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'en-GB',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
    ...options,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  return context;
}

/**
 * What went wrong in a page: console errors (a CSP violation is one), uncaught exceptions, and
 * `securitypolicyviolation` events. `allow` lists console errors a test expects, such as the
 * browser's own line for a 409 the page handles.
 */
export interface PageProblems {
  list(): string[];
  allow(pattern: RegExp): void;
}

export async function watchProblems(page: Page): Promise<PageProblems> {
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = `${message.text()} (${message.location().url})`;
    if (!allowed.some((pattern) => pattern.test(text))) problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  await page.exposeBinding('__reportCspViolation', (_source, text: string) => problems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return {
    list: () => [...problems],
    allow: (pattern) => allowed.push(pattern),
  };
}

export interface LocalSignIn {
  readonly role: 'admin' | 'service' | 'org';
  readonly name: string;
  readonly email?: string;
  readonly orgId?: string;
}

/** Signs in through the local sign-in form, as a person would: from the app's own "Sign in" button. */
export async function signIn(page: Page, stack: LocalStackProcess, who: LocalSignIn): Promise<void> {
  await page.goto(`${stack.url}/admin/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/admin/local-sign-in');
  await page.getByLabel(new RegExp(`^${who.role}:`, 'i')).check();
  if (who.orgId) await page.getByLabel('Org id').fill(who.orgId);
  await page.getByLabel('Name').fill(who.name);
  if (who.email) await page.getByLabel('Email').fill(who.email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/#\/orgs/);
}

/** Serious and critical axe-core findings on the page as it is now, one line each. */
export async function seriousAxeFindings(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

/** Whether the page scrolls sideways. */
export async function scrollsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** The time every screenshot shows, so that a screenshot changes only when its screen does. */
const SCREENSHOT_TIME = '1 Dec 2026, 10:15:00';

/** A screenshot (`<name>.png` in {@link SCREENSHOT_DIR}), every time on it showing {@link SCREENSHOT_TIME}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate((shown) => {
    for (const time of document.querySelectorAll('time')) time.textContent = shown;
  }, SCREENSHOT_TIME);
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
  });
}
