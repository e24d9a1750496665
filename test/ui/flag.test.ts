import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { PHONE, screenshot, scrollsHorizontally, type LocalSignIn } from '../support/browser.js';
import { publicFlag } from '../support/flags.js';
import { tokenFor } from '../support/local-stack-process.js';
import { expectAccessible, until, useUiHarness } from '../support/ui-harness.js';

/*
 * The flag screen in Chromium: one flag across every org, paged and filtered, and a bulk change
 * of the selected orgs after a confirmation, with a result per org.
 */

// The page functions below run in the browser; the tests are type-checked with Node's types only.
declare const document: { readonly activeElement: { readonly id: string } | null };

const ui = useUiHarness();
const { signedIn, api, provision } = ui;
const flag = publicFlag();
const ADA: LocalSignIn = { role: 'admin', name: 'ada', email: 'ada@example.com' };
/** This file's orgs, in org id order; the by-flag view lists every provisioned org. */
const ORGS = Array.from({ length: 7 }, (_, i) => `flagview-${i + 1}`);

interface FlagBody {
  flag: { user_enabled: boolean; version: number; updated_by: string | null; updated_by_email: string | null };
}

const flagOf = async (orgId: string) =>
  (await api<FlagBody>('GET', `/org-feature-flags/${orgId}/flags/${flag.key}`)).body.flag;

async function setFlag(orgId: string, enabled: boolean, token = ui.admin): Promise<void> {
  const current = await flagOf(orgId);
  expect(
    (
      await api(
        'POST',
        '/org-feature-flags',
        { org_id: orgId, key: flag.key, enabled, version: current.version },
        token,
      )
    ).status,
  ).toBe(200);
}

/** The org ids in the table, in order. */
const shownOrgs = (page: Page) =>
  page.locator('table.flag-orgs-table tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-org')));

async function settled(page: Page): Promise<void> {
  await page.locator('section[aria-labelledby="flag-orgs"][aria-busy="false"]').waitFor();
}

/** The flag screen, showing only this file's orgs: other test files share no stack, but this one's orgs come first by id. */
async function openFlag(page: Page, query = ''): Promise<void> {
  await page.goto(`${ui.stack.url}/admin/#/flags/${flag.key}${query}`);
  await page.getByRole('heading', { level: 1, name: flag.key }).waitFor();
  await settled(page);
}

let provisioned = false;
async function orgs(): Promise<void> {
  if (provisioned) return;
  await provision(...ORGS);
  provisioned = true;
}

describe('the flag screen', () => {
  it("shows the flag's definition and every org's state, page by page, each org exactly once", async () => {
    await orgs();
    const { page } = await signedIn(ADA);
    await openFlag(page, '?limit=2');
    expect(await page.locator('.flag-definition').textContent()).toContain(flag.description);
    expect(await page.locator('.flag-definition').textContent()).toContain(flag.owner);

    // Two orgs a page, while another admin turns this file's orgs on and off: each org once, in order.
    const seen: (string | null)[] = [];
    const pages: (string | null)[][] = [];
    for (let i = 0; ; i++) {
      const shown = await shownOrgs(page);
      expect(shown.length).toBeLessThanOrEqual(2);
      pages.push(shown);
      seen.push(...shown);
      await setFlag(ORGS[i % ORGS.length] as string, i % 2 === 0 ? !flag.default_enabled : flag.default_enabled);
      const next = page.getByRole('button', { name: 'Next page' });
      if (await next.isDisabled()) break;
      await next.click();
      await page.getByRole('heading', { name: `Every org, page ${pages.length + 1}` }).waitFor();
      await settled(page);
    }
    expect(seen.filter((orgId) => orgId?.startsWith('flagview-'))).toEqual(ORGS);
    expect(new Set(seen).size).toBe(seen.length);
    // Back one page: the same orgs as before.
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page
      .getByRole('heading', {
        name: pages.length === 2 ? 'Every org' : `Every org, page ${pages.length - 1}`,
        exact: true,
      })
      .waitFor();
    await settled(page);
    expect(await shownOrgs(page)).toEqual(pages.at(-2));
    await api('POST', `/feature-flags/${flag.key}/orgs`, { org_ids: ORGS, enabled: flag.default_enabled });
    await openFlag(page);
    await expectAccessible(page);
    await screenshot(page, 'flag');
  }, 60_000);

  it('filters on and off from the address, and shows exactly the orgs in that state', async () => {
    await orgs();
    const value = !flag.default_enabled;
    await setFlag('flagview-2', value);
    await setFlag('flagview-5', value);
    const { page } = await signedIn(ADA);
    await openFlag(page, `?enabled=${value}`);
    expect((await shownOrgs(page)).filter((orgId) => orgId?.startsWith('flagview-'))).toEqual([
      'flagview-2',
      'flagview-5',
    ]);
    expect(await page.getByRole('link', { name: value ? 'On' : 'Off', exact: true }).getAttribute('aria-current')).toBe(
      'page',
    );

    await page.getByRole('link', { name: value ? 'Off' : 'On', exact: true }).click();
    await page.waitForURL(new RegExp(`enabled=${!value}$`));
    await settled(page);
    const others = (await shownOrgs(page)).filter((orgId) => orgId?.startsWith('flagview-'));
    expect(others).toEqual(ORGS.filter((orgId) => orgId !== 'flagview-2' && orgId !== 'flagview-5'));
    // Back to where it was, with the browser's back button.
    await page.goBack();
    await page.waitForURL(new RegExp(`enabled=${value}$`));
    await settled(page);
    expect((await shownOrgs(page)).filter((orgId) => orgId?.startsWith('flagview-'))).toEqual([
      'flagview-2',
      'flagview-5',
    ]);

    await setFlag('flagview-2', !value);
    await setFlag('flagview-5', !value);
  }, 60_000);

  it('sets three selected orgs at once after a confirmation naming three, with a result per org and the admin in each audit entry', async () => {
    await orgs();
    const value = !flag.default_enabled;
    // One of the three already has the value: its result is "already so".
    await setFlag('flagview-4', value);
    const { page } = await signedIn(ADA);
    await openFlag(page);
    for (const orgId of ['flagview-3', 'flagview-4', 'flagview-6'])
      await page.getByLabel(`Select ${orgId}`, { exact: true }).check();
    expect(await page.locator('.bulk-count').textContent()).toBe('3 orgs selected');

    await page.getByRole('button', { name: value ? 'Turn on…' : 'Turn off…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('heading').textContent()).toBe(
      `Turn ${value ? 'on' : 'off'} ${flag.key} for 3 orgs?`,
    );
    await expectAccessible(page);
    await screenshot(page, 'flag-bulk-confirm');
    // Cancelling changes nothing; the selection stays.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.count()).toBe(0);
    expect((await flagOf('flagview-3')).user_enabled).toBe(flag.default_enabled);

    await page.getByRole('button', { name: value ? 'Turn on…' : 'Turn off…' }).click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: `Turn ${value ? 'on' : 'off'} for 3 orgs` })
      .click();
    const results = page.locator('.bulk-results');
    await results.getByRole('heading', { name: 'Results' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('bulk-results');
    expect(
      await results
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((row) => [row.querySelector('th')?.textContent, row.getAttribute('data-result')]),
        ),
    ).toEqual([
      ['flagview-3', 'changed'],
      ['flagview-4', 'unchanged'],
      ['flagview-6', 'changed'],
    ]);
    expect(await results.getByRole('status').textContent()).toContain('2 changed, 1 already so');
    for (const orgId of ['flagview-3', 'flagview-6']) {
      expect(await flagOf(orgId)).toMatchObject({
        user_enabled: value,
        updated_by: 'ada',
        updated_by_email: 'ada@example.com',
      });
    }
    // The table shows the new state without a reload.
    await until(
      async () => (await page.locator('tr[data-org="flagview-3"]').textContent())?.includes(value ? 'On' : 'Off'),
      10_000,
      'the table to show the change',
    );
    await expectAccessible(page);
    await screenshot(page, 'flag-bulk');

    await api('POST', `/feature-flags/${flag.key}/orgs`, {
      org_ids: ['flagview-3', 'flagview-4', 'flagview-6'],
      enabled: flag.default_enabled,
    });
  }, 60_000);

  it('a change made through the API appears without a reload', async () => {
    await orgs();
    const { page } = await signedIn(ADA);
    await openFlag(page);
    const value = !flag.default_enabled;
    const someone = await tokenFor(ui.stack, '--role', 'admin', '--sub', 'grace-api');
    await setFlag('flagview-7', value, someone);
    await until(
      async () => (await page.locator('tr[data-org="flagview-7"]').textContent())?.includes('grace-api'),
      10_000,
      'the change to appear',
    );
    await setFlag('flagview-7', !value);
  }, 60_000);
});

describe('roles and sizes', () => {
  it('a service token sees every org and can neither select nor set, saying why; at 375 px nothing scrolls sideways', async () => {
    await orgs();
    const { page } = await signedIn({ role: 'service', name: 'reporting' }, { viewport: PHONE });
    await openFlag(page);
    expect((await shownOrgs(page)).length).toBeGreaterThan(0);
    await page.getByText('Read-only: service token.').waitFor();
    expect(await page.getByLabel('Select flagview-1', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Select every org on this page').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Turn on…' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Turn off…' }).isDisabled()).toBe(true);
    expect(await scrollsHorizontally(page)).toBe(false);
    await expectAccessible(page);
  }, 60_000);
});
