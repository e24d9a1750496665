import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import {
  launchBrowser,
  newContext,
  seriousAxeFindings,
  signIn,
  watchProblems,
  type LocalSignIn,
  type PageProblems,
} from './browser.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from './local-stack-process.js';
import { startTogether } from './start-together.js';

/** What a browser test file works with: its own local stack and Chromium, pages watched for problems, the API. */
export interface UiHarness {
  readonly stack: LocalStackProcess;
  readonly browser: Browser;
  /** An admin token, for the API calls a test makes beside the page. */
  readonly admin: string;
  /** A new browser context and page, watched for console errors, uncaught errors and CSP violations until the test ends. */
  open(options?: OpenOptions): Promise<{ page: Page; problems: PageProblems }>;
  /** {@link open}, then the local sign-in as `who`. */
  signedIn(who: LocalSignIn, options?: OpenOptions): Promise<{ page: Page; problems: PageProblems }>;
  /** One call to the stack's API, with the admin token unless another is given. */
  api<T>(
    method: 'GET' | 'POST',
    pathname: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  /** Provisions each org through the API (201 each). */
  provision(...orgIds: string[]): Promise<void>;
}

export interface OpenOptions extends BrowserContextOptions {
  /** How often this page polls for changes, instead of the stack's setting. */
  readonly pollSeconds?: number;
}

/**
 * Registers the hooks of a browser test file and returns its harness: a local stack started as
 * `npm start` starts it (or from `root`, a copy of the project), Chromium, and after each test the
 * check that no page it opened logged a problem.
 */
export function useUiHarness(options: { root?: () => string } = {}): UiHarness {
  let stack: LocalStackProcess | undefined;
  let browser: Browser | undefined;
  let admin = '';
  const opened: { context: BrowserContext; problems: PageProblems }[] = [];

  beforeAll(async () => {
    const root = options.root?.();
    [stack, browser] = await startTogether(
      { start: () => startLocalStackProcess(root ? { root } : {}), stop: (started) => started.stop() },
      { start: launchBrowser, stop: (started) => started.close() },
    );
    admin = await tokenFor(stack, '--role', 'admin');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  afterEach(async () => {
    const problems = opened.flatMap(({ problems }) => problems.list());
    await Promise.all(opened.splice(0).map(({ context }) => context.close()));
    expect(problems).toEqual([]);
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`The ${what} has not started: use the harness inside tests only.`);
    return value;
  };

  const harness: UiHarness = {
    get stack() {
      return started(stack, 'local stack');
    },
    get browser() {
      return started(browser, 'browser');
    },
    get admin() {
      return admin;
    },
    async open(openOptions = {}) {
      const { pollSeconds, ...contextOptions } = openOptions;
      const context = await newContext(harness.browser, contextOptions);
      if (pollSeconds !== undefined) {
        // This person's page asks for changes rarely, so that a test decides what it has seen.
        await context.route('**/admin/config.json', async (route) => {
          const response = await route.fetch();
          await route.fulfill({ response, json: { ...(await response.json()), poll_seconds: pollSeconds } });
        });
      }
      const page = await context.newPage();
      const problems = await watchProblems(page);
      opened.push({ context, problems });
      return { page, problems };
    },
    async signedIn(who, openOptions = {}) {
      const result = await harness.open(openOptions);
      await signIn(result.page, harness.stack, who);
      return result;
    },
    async api<T>(method: 'GET' | 'POST', pathname: string, body?: unknown, token = admin) {
      const response = await fetch(`${harness.stack.url}${pathname}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
    async provision(...orgIds) {
      for (const orgId of orgIds) expect((await harness.api('POST', `/orgs/${orgId}/provision`)).status).toBe(201);
    },
  };
  return harness;
}

/** Polls `check` every 100 ms until it gives a value, or fails naming `what` after `ms`. */
export async function until<T>(check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** No serious or critical axe-core finding on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousAxeFindings(page)).toEqual([]);
}

/** A flag's switch on the org screen, by its key. */
export const switchOf = (page: Page, key: string) => page.getByRole('switch', { name: key, exact: true });

/** Clicks a flag's switch on the org screen (or presses a key on it) and waits until the page has taken in the API's answer. */
export async function toggle(page: Page, key: string, how: 'click' | 'Space' = 'click'): Promise<void> {
  const answered = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/org-feature-flags',
  );
  if (how === 'click') await switchOf(page, key).click();
  else {
    await switchOf(page, key).focus();
    await page.keyboard.press(how);
  }
  await answered;
  await page.locator(`#flag-${key}[aria-busy="false"]`).waitFor();
}

/** A paged results section as it stood after one change of its DOM. */
export interface ResultsState {
  readonly heading: string;
  readonly busy: boolean;
  /** The rows' `data-*` ids, in order. */
  readonly rows: readonly string[];
}

interface WatchedElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): WatchedElement | null;
  querySelectorAll(selector: string): Iterable<WatchedElement>;
}
declare const document: { querySelector(selector: string): WatchedElement | null };
declare const window: { resultsSeen?: ResultsState[] };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(
    target: WatchedElement,
    options: { subtree: boolean; childList: boolean; attributes: boolean; characterData: boolean },
  ): void;
}

/**
 * Records every state the results section `section` passes through from now on (heading, aria-busy,
 * and the `rowId` attribute of each row), as the page draws it, and returns what it has seen so far.
 */
export async function watchResults(page: Page, section: string, rowId: string): Promise<() => Promise<ResultsState[]>> {
  await page.evaluate(
    ([selector, attribute]) => {
      const element = document.querySelector(selector);
      if (!element) throw new Error(`no ${selector}`);
      const seen: ResultsState[] = [];
      const record = () =>
        seen.push({
          heading: element.querySelector('h2')?.textContent ?? '',
          busy: element.getAttribute('aria-busy') === 'true',
          rows: [...element.querySelectorAll(`tbody tr[${attribute}]`)].map((row) => row.getAttribute(attribute) ?? ''),
        });
      record();
      window.resultsSeen = seen;
      new MutationObserver(record).observe(element, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    },
    [section, rowId] as const,
  );
  return () => page.evaluate(() => window.resultsSeen ?? []);
}
