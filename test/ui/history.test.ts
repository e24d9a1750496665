import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { PHONE, screenshot, scrollsHorizontally, type LocalSignIn } from '../support/browser.js';
import { internalFlag, publicFlag } from '../support/flags.js';
import { tokenFor } from '../support/local-stack-process.js';
import { expectAccessible, switchOf, toggle, until, useUiHarness, watchResults } from '../support/ui-harness.js';

/*
 * The history screens in Chromium: one org's changes (all flags or one) and one flag's across
 * orgs, newest first, with who and when; paging; new changes appearing without a reload.
 */

// The page functions below run in the browser; the tests are type-checked with Node's types only.
declare const window: { notReloaded?: boolean };

const ui = useUiHarness();
const { signedIn, api, provision } = ui;
const flag = publicFlag();
const other = internalFlag();
const ADA: LocalSignIn = { role: 'admin', name: 'ada', email: 'ada@example.com' };

interface FlagBody {
  flag: { user_enabled: boolean; version: number };
}

/** Sets a flag through the API (with `token`, the admin's by default), naming the version it has now. */
async function setFlag(orgId: string, key: string, enabled: boolean, token = ui.admin): Promise<void> {
  const { body } = await api<FlagBody>('GET', `/org-feature-flags/${orgId}/flags/${key}`, undefined, token);
  const answer = await api(
    'POST',
    '/org-feature-flags',
    { org_id: orgId, key, enabled, version: body.flag.version },
    token,
  );
  expect(answer.status).toBe(200);
}

const rows = (page: Page) => page.locator('table.history-table tbody tr');

async function openHistory(page: Page, hash: string): Promise<void> {
  await page.goto(`${ui.stack.url}/admin/${hash}`);
  await page.getByRole('heading', { level: 1, name: /History/ }).waitFor();
  await page.locator('section[aria-busy="false"]').waitFor();
}

describe('one org’s history', () => {
  it('shows a change made in the org screen with who and when, newest first, and links there from the org', async () => {
    await provision('history-ui');
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/orgs/history-ui`);
    await switchOf(page, flag.key).waitFor();
    await toggle(page, flag.key);
    await toggle(page, flag.key);

    await page.getByRole('link', { name: 'History of history-ui', exact: true }).click();
    await page.waitForURL(/#\/history\/orgs\/history-ui$/);
    await page.locator('section[aria-busy="false"]').waitFor();
    const shown = await rows(page).allInnerTexts();
    expect(shown).toHaveLength(2);
    const start = flag.default_enabled;
    // Newest first: the second toggle put the flag back.
    expect(shown[0]).toContain(`${start ? 'off' : 'on'} → ${start ? 'on' : 'off'}`);
    expect(shown[1]).toContain(`${start ? 'on' : 'off'} → ${start ? 'off' : 'on'}`);
    for (const text of shown) {
      expect(text).toContain(flag.key);
      expect(text).toContain('ada@example.com');
      expect(text).toContain('(ada)');
      expect(text).toContain('admin');
    }
    const { body } = await api<{ changes: { change_id: string; changed_at: string; request_id: string }[] }>(
      'GET',
      '/org-feature-flags/history-ui/history',
    );
    expect(await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-change')))).toEqual(
      body.changes.map((c) => c.change_id),
    );
    expect(await rows(page).first().locator('time').getAttribute('datetime')).toBe(body.changes[0]?.changed_at);
    expect(await rows(page).first().textContent()).toContain(body.changes[0]?.request_id);
    await expectAccessible(page);
    await screenshot(page, 'org-history');

    // Each flag of the org screen links to its own history there, the filter chosen.
    await page.getByRole('link', { name: 'history-ui', exact: true }).click();
    await page.getByRole('link', { name: `History of ${other.key} in history-ui`, exact: true }).click();
    await page.waitForURL(new RegExp(`#/history/orgs/history-ui\\?key=${other.key}$`));
    await page.getByText(`No change of ${other.key} in history-ui yet.`).waitFor();
    expect(await page.getByLabel('Flag').inputValue()).toBe(other.key);
  }, 60_000);

  it('a change made through the API appears in the open page without a reload', async () => {
    await provision('history-live');
    await setFlag('history-live', flag.key, !flag.default_enabled);
    const { page } = await signedIn(ADA);
    await openHistory(page, '#/history/orgs/history-live');
    expect(await rows(page).count()).toBe(1);
    await page.evaluate(() => (window.notReloaded = true));

    const someone = await tokenFor(ui.stack, '--role', 'admin', '--sub', 'grace-api');
    await setFlag('history-live', flag.key, flag.default_enabled, someone);
    await until(async () => (await rows(page).count()) === 2, 10_000, 'the new change to appear');
    expect(await rows(page).first().textContent()).toContain('grace-api');
    expect(await page.getByRole('status').textContent()).toBe('1 new change.');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await expectAccessible(page);
  }, 60_000);

  it('pages through more changes than a page holds, each once, and filters by a flag chosen from the registry', async () => {
    await provision('history-pages');
    // 26 changes of one flag and 2 of another: two pages of 25.
    for (let i = 0; i < 26; i++)
      await setFlag('history-pages', flag.key, i % 2 === 0 ? !flag.default_enabled : flag.default_enabled);
    await setFlag('history-pages', other.key, !other.default_enabled);
    await setFlag('history-pages', other.key, other.default_enabled);
    const { page } = await signedIn(ADA, { pollSeconds: 1 });
    await openHistory(page, '#/history/orgs/history-pages');
    const asked: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/history')) asked.push(request.url());
    });

    const ids = async () => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-change')));
    const first = await ids();
    expect(first).toHaveLength(25);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByRole('heading', { name: 'Changes, page 2' }).waitFor();
    await page.locator('section[aria-busy="false"]').waitFor();
    const second = await ids();
    expect(second).toHaveLength(3);
    expect(new Set([...first, ...second]).size).toBe(28);
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);

    // Someone reading older changes is left alone: the page is not asked for again, nothing is announced.
    asked.length = 0;
    await setFlag('history-pages', other.key, !other.default_enabled);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(asked).toEqual([]);
    expect(await ids()).toEqual(second);
    expect(await page.getByRole('status').textContent()).toBe('');

    // Back on the first page, the newest change leads; the older page's rows are never shown as if they were the first page.
    const seenStates = await watchResults(page, 'section[aria-labelledby="history-results"]', 'data-change');
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByRole('heading', { name: 'Changes', exact: true }).waitFor();
    await page.locator('section[aria-busy="false"]').waitFor();
    const newest = await ids();
    expect(newest).toHaveLength(25);
    expect(newest.slice(1)).toEqual(first.slice(0, 24));
    expect(first).not.toContain(newest[0]);
    const settled = new Set(
      (await seenStates()).filter((state) => !state.busy).map((state) => `${state.heading}: ${state.rows.length} rows`),
    );
    expect([...settled].sort()).toEqual(['Changes, page 2: 3 rows', 'Changes: 25 rows']);

    // The filter offers the registry's keys only; choosing one changes the address.
    const options = await page.getByLabel('Flag').locator('option').allTextContents();
    expect(options[0]).toBe('All flags');
    expect(options).toContain(other.key);
    await page.getByLabel('Flag').selectOption(other.key);
    expect(page.url()).toMatch(/#\/history\/orgs\/history-pages$/);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(new RegExp(`#/history/orgs/history-pages\\?key=${other.key}$`));
    await page.getByRole('heading', { name: `Changes of ${other.key}` }).waitFor();
    await page.locator('section[aria-busy="false"]').waitFor();
    const filtered = await rows(page).allInnerTexts();
    expect(filtered).toHaveLength(3);
    for (const text of filtered) expect(text).toContain(other.key);
  }, 90_000);
});

describe('one flag’s history across orgs', () => {
  it('shows the changes of two orgs, newest first, linked from the org screen', async () => {
    await provision('history-flag-a', 'history-flag-b');
    await setFlag('history-flag-a', other.key, !other.default_enabled);
    await setFlag('history-flag-b', other.key, !other.default_enabled);
    const { page } = await signedIn(ADA);
    await openHistory(page, `#/history/flags/${other.key}`);
    const shown = await rows(page).allInnerTexts();
    expect(shown.slice(0, 2).map((text) => text.split('\t')[1])).toEqual(['history-flag-b', 'history-flag-a']);
    expect(await page.getByRole('link', { name: other.key, exact: true }).getAttribute('href')).toBe(
      `#/flags/${other.key}`,
    );
    await expectAccessible(page);
    await screenshot(page, 'flag-history');
  }, 60_000);

  it("says so for a key no org ever changed and an org with no change, and shows the API's answer for a bad key or an unknown org", async () => {
    const { page, problems } = await signedIn(ADA, { pollSeconds: 1 });
    await openHistory(page, '#/history/flags/no-such-flag');
    await page.getByText("No org's no-such-flag has changed yet.").waitFor();
    await provision('history-quiet');
    await openHistory(page, '#/history/orgs/history-quiet');
    await page.getByText('No change in history-quiet yet.').waitFor();

    problems.allow(/status of 400/);
    await page.goto(`${ui.stack.url}/admin/#/history/flags/${'k'.repeat(129)}`);
    expect(await page.getByRole('alert').textContent()).toContain('key must be at most 128 characters');

    // A refusal is shown, and not asked for again while the page stays open.
    problems.allow(/status of 404/);
    const asked: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/history')) asked.push(request.url());
    });
    await page.goto(`${ui.stack.url}/admin/#/history/orgs/history-nobody`);
    await page.getByRole('alert').filter({ hasText: "No org 'history-nobody'." }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(asked).toHaveLength(1);
  }, 60_000);
});

describe('roles and sizes', () => {
  it('a service token reads history; at 375 px the screen fits without horizontal scrolling', async () => {
    await provision('history-service');
    await setFlag('history-service', flag.key, !flag.default_enabled);
    const { page } = await signedIn({ role: 'service', name: 'reporting' }, { viewport: PHONE });
    await openHistory(page, '#/history/orgs/history-service');
    expect(await rows(page).count()).toBe(1);
    expect(await scrollsHorizontally(page)).toBe(false);
    await expectAccessible(page);
  }, 60_000);
});
