import { rm } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { launchBrowser, newContext, signIn } from '../support/browser.js';
import { copyProjectWithFlags, MANY_FLAGS, provisionWithRetry } from '../support/many-flags.js';
import { startLocalStackProcess, tokenFor } from '../support/local-stack-process.js';
import { table } from './report.js';

// The page functions below run in the browser; the bench is type-checked with Node's types only.
interface PageElement {
  getAttribute(name: string): string | null;
  click(): void;
}
declare const document: {
  querySelectorAll(selector: string): { readonly length: number };
  getElementById(id: string): PageElement | null;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: PageElement, options: { attributes: boolean; attributeFilter: string[] }): void;
  disconnect(): void;
}

const ORG_ID = 'bench-ui-org';
const TOGGLED = 'load-flag-197';

/** One measurement of each kind per run: page loads in ms from the navigation's start, heap in bytes. */
interface UiRun {
  readonly orgScreenMs: number;
  readonly orgsScreenMs: number;
  readonly toggleMs: number;
  readonly apiWriteMs: number;
  readonly orgHeapBytes: number;
  readonly orgsHeapBytes: number;
  readonly orgNodes: number;
  readonly orgsNodes: number;
}

export interface UiResult {
  readonly runs: readonly UiRun[];
  readonly flags: number;
}

/** JS heap in use and DOM nodes of the page, as Chromium's DevTools protocol reports them, after a collection. */
async function pageMetrics(page: Page): Promise<{ heap: number; nodes: number }> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('HeapProfiler.collectGarbage');
    await session.send('Performance.enable');
    const { metrics } = await session.send('Performance.getMetrics');
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
    return { heap: metric('JSHeapUsedSize'), nodes: metric('Nodes') };
  } finally {
    await session.detach();
  }
}

/** Loads the app at `hash` in a fresh navigation and returns the ms from its start until `ready` holds. */
async function load(page: Page, url: string, ready: () => Promise<unknown>): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url);
  await ready();
  return page.evaluate(() => performance.now());
}

/**
 * The admin UI with a registry of {@link MANY_FLAGS} flags, in Chromium against a local stack run
 * from a copy of the project with that registry: the org screen of an org with every flag, beside
 * the orgs screen (the same app, sign-in and settings, one small API answer) as its baseline; a
 * toggle on that screen, beside the same write sent straight to the API; the page's JS heap and
 * DOM nodes on each screen.
 */
export async function benchUi(runs: number, log: (line: string) => void): Promise<UiResult> {
  log(`[ui] a copy of the project with ${MANY_FLAGS} flags, its local stack and Chromium`);
  const root = await copyProjectWithFlags();
  const stack = await startLocalStackProcess({ root }).catch(async (error: unknown) => {
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  const browser = await launchBrowser().catch(async (error: unknown) => {
    await stack.stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  try {
    const admin = await tokenFor(stack, '--role', 'admin', '--sub', 'bench');
    const status = await provisionWithRetry(stack.url, admin, ORG_ID);
    if (status !== 201) throw new Error(`Provisioning ${ORG_ID} answered ${status}`);
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, stack, { role: 'admin', name: 'bench' });
    const orgUrl = `${stack.url}/admin/#/orgs/${ORG_ID}`;
    const orgsUrl = `${stack.url}/admin/#/orgs?prefix=${ORG_ID}`;
    const orgReady = () =>
      page.waitForFunction((count) => document.querySelectorAll('[role=switch]').length === count, MANY_FLAGS, {
        timeout: 30_000,
      });
    const orgsReady = () => page.getByRole('link', { name: ORG_ID, exact: true }).waitFor({ timeout: 30_000 });
    const taken: UiRun[] = [];
    // One round first, not counted: the files' first read, the compilers' first pass.
    for (let round = 0; round <= runs; round++) {
      log(`[ui] ${round === 0 ? 'warm-up round' : `round ${round}/${runs}`}`);
      // The order of the two loads alternates, so that drift in the machine's load falls on both alike.
      const loads = async () => {
        if (round % 2 === 0) {
          const orgs = await load(page, orgsUrl, orgsReady);
          const orgsMetrics = await pageMetrics(page);
          const org = await load(page, orgUrl, orgReady);
          return { org, orgs, orgsMetrics, orgMetrics: await pageMetrics(page) };
        }
        const org = await load(page, orgUrl, orgReady);
        const orgMetrics = await pageMetrics(page);
        const orgs = await load(page, orgsUrl, orgsReady);
        const orgsMetrics = await pageMetrics(page);
        await load(page, orgUrl, orgReady);
        return { org, orgs, orgsMetrics, orgMetrics };
      };
      const { org, orgs, orgsMetrics, orgMetrics } = await loads();

      // Timed inside the page: from the click to the switch no longer busy, the API's answer shown.
      const toggleMs = await page.evaluate(
        (key) =>
          new Promise<number>((resolve, reject) => {
            const control = document.getElementById(`flag-${key}`);
            if (!control) return reject(new Error(`no switch for ${key}`));
            let busy = false;
            const observer = new MutationObserver(() => {
              if (control.getAttribute('aria-busy') === 'true') busy = true;
              else if (busy) {
                observer.disconnect();
                resolve(performance.now() - clicked);
              }
            });
            observer.observe(control, { attributes: true, attributeFilter: ['aria-busy'] });
            const clicked = performance.now();
            control.click();
          }),
        TOGGLED,
      );

      const current = (await (
        await fetch(`${stack.url}/org-feature-flags/${ORG_ID}/flags/${TOGGLED}`, {
          headers: { authorization: `Bearer ${admin}` },
        })
      ).json()) as {
        flag: { user_enabled: boolean; version: number };
      };
      const sent = performance.now();
      const write = await fetch(`${stack.url}/org-feature-flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          org_id: ORG_ID,
          key: TOGGLED,
          enabled: !current.flag.user_enabled,
          version: current.flag.version,
        }),
      });
      await write.arrayBuffer();
      const apiWriteMs = performance.now() - sent;
      if (write.status !== 200) throw new Error(`The API's own write answered ${write.status}`);

      if (round > 0) {
        taken.push({
          orgScreenMs: org,
          orgsScreenMs: orgs,
          toggleMs,
          apiWriteMs,
          orgHeapBytes: orgMetrics.heap,
          orgsHeapBytes: orgsMetrics.heap,
          orgNodes: orgMetrics.nodes,
          orgsNodes: orgsMetrics.nodes,
        });
      }
    }
    await context.close();
    return { runs: taken, flags: MANY_FLAGS };
  } finally {
    await browser.close();
    await stack.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The table: each measurement's median beside its baseline's, and the ratio. */
export function uiLines(result: UiResult): string[] {
  const of = (pick: (run: UiRun) => number) => median(result.runs.map(pick));
  const row = (name: string, value: number, baseline: string, base: number, unit: (n: number) => string) => [
    name,
    unit(value),
    baseline,
    unit(base),
    `${(value / base).toFixed(2)}x`,
  ];
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const count = (n: number) => n.toFixed(0);
  return [
    ...table([
      ['measured', 'median', 'baseline', 'median', 'ratio'],
      row(
        `org screen, ${result.flags} flags, load to every switch`,
        of((r) => r.orgScreenMs),
        'orgs screen, one org',
        of((r) => r.orgsScreenMs),
        ms,
      ),
      row(
        'toggle: click to the answer shown',
        of((r) => r.toggleMs),
        'the same write to the API',
        of((r) => r.apiWriteMs),
        ms,
      ),
      row(
        `JS heap, org screen`,
        of((r) => r.orgHeapBytes),
        'orgs screen',
        of((r) => r.orgsHeapBytes),
        mb,
      ),
      row(
        `DOM nodes, org screen`,
        of((r) => r.orgNodes),
        'orgs screen',
        of((r) => r.orgsNodes),
        count,
      ),
    ]),
    '',
    `${result.runs.length} runs in one page of Chromium, the two screens' loads alternating; load times from the navigation's start`,
  ];
}
