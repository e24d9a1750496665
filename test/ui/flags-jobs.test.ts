import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { flagItem } from '../../lambdas/adapters/dynamodb-flag-store.js';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import { PHONE, screenshot, scrollsHorizontally, type LocalSignIn } from '../support/browser.js';
import { publicFlag, registry } from '../support/flags.js';
import { expectAccessible, until, useUiHarness } from '../support/ui-harness.js';

/*
 * The Flags and Jobs screens in Chromium: the registry with the newest report's findings; jobs
 * started from the page (dry run first, then applied after a confirmation), watched to the end,
 * and resumed after a real failure.
 */

// The page functions below run in the browser; the tests are type-checked with Node's types only.
interface ProgressElement {
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(selector: string): ProgressElement | null };
declare const window: { progressSeen?: string[] };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: ProgressElement, options: { attributes: boolean }): void;
}

const ui = useUiHarness();
const { signedIn, api, provision } = ui;
const ADA: LocalSignIn = { role: 'admin', name: 'ada', email: 'ada@example.com' };
const flag = publicFlag();
const RETIRED_KEY = 'legacy-editor';
/** More orgs than one page of a job (100), so that a job runs several pages. */
const ORGS = Array.from({ length: 230 }, (_, i) => `jobs-${String(i + 1).padStart(3, '0')}`);

let dynamo: DynamoDBClient;
const TABLE = 'org-feature-flags';

beforeAll(async () => {
  dynamo = new DynamoDBClient(localDynamoDbClientConfig(`http://127.0.0.1:${ui.stack.env.DYNAMODB_PORT}`));
  for (let i = 0; i < ORGS.length; i += 10) await provision(...ORGS.slice(i, i + 10));
  // An orphan: a row of a key the registry has retired, as an old deployment left it.
  const now = new Date().toISOString();
  await dynamo.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall(
        flagItem({
          orgId: 'jobs-001',
          key: RETIRED_KEY,
          enabled: true,
          version: 1,
          source: 'provisioned',
          createdAt: now,
          updatedAt: now,
          updatedBy: 'old-deploy',
        }),
        { removeUndefinedValues: true },
      ),
    }),
  );
}, 180_000);

afterAll(() => dynamo?.destroy());

interface JobBody {
  job_id: string;
  status: string;
  counts: Record<string, number>;
  progress: { percent: number };
}

/** The job screen's status, once it is no longer running. */
async function finished(page: Page): Promise<string> {
  return until(
    async () => {
      const status = await page
        .locator('.job-facts .job-status')
        .textContent()
        .catch(() => null);
      return status && status !== 'running' ? status : undefined;
    },
    60_000,
    'the job to finish',
  );
}

/** The id of the job whose screen is open. */
const openJobId = (page: Page) => decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));

describe('the Flags screen', () => {
  it('lists the registry in order with owner, description and dates; runs a report and shows its findings beside each flag', async () => {
    const { page } = await signedIn(ADA);
    await page.getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    const { body } = await api<{
      flags: { key: string; owner: string; description: string; created: string }[];
      retired: { key: string }[];
    }>('GET', '/feature-flags');
    const rows = page.locator('table.flags-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flag')))).toEqual(
      body.flags.map((f) => f.key),
    );
    for (const definition of body.flags) {
      const text = await page.locator(`tr[data-flag="${definition.key}"]`).textContent();
      expect(text).toContain(definition.owner);
      expect(text).toContain(definition.description);
      expect(text).toContain(definition.created);
    }
    await page.getByText('No report has been run yet.').waitFor();
    expect(await page.locator('.retired').textContent()).toContain(RETIRED_KEY);

    await page.getByRole('button', { name: 'Run a report' }).click();
    await page.waitForURL(/#\/jobs\//);
    expect(await finished(page)).toBe('succeeded');
    await page.getByRole('link', { name: 'See the findings beside each flag' }).click();
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    await page.getByText(/Findings of the report of/).waitFor();

    // Every org of this stack holds the registry defaults: a flag off by default is off everywhere.
    const offByDefault = registry.flags.find((f) => !f.default_enabled);
    if (!offByDefault) throw new Error('the registry has no flag off by default');
    expect(await page.locator(`tr[data-flag="${offByDefault.key}"] .findings`).textContent()).toContain(
      'off everywhere',
    );
    expect(await page.locator('table[aria-label="Orphan rows by key"]').textContent()).toContain(RETIRED_KEY);
    await expectAccessible(page);
    await screenshot(page, 'flags');
  }, 120_000);
});

describe('the Jobs screens', () => {
  it('a sync starts as a dry run, its progress is watched to 100%, and it is applied from the dry run after a confirmation', async () => {
    // One org lacks a row, as if the flag had been added after it was provisioned.
    await dynamo.send(
      new DeleteItemCommand({ TableName: TABLE, Key: marshall({ pk: 'ORG#jobs-150', sk: `FLAG#${flag.key}` }) }),
    );
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/jobs`);
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    // The org was provisioned at this registry version: only a sync of every org (force) visits it.
    await page.getByLabel('Every org, also those at this registry version').check();
    await page.getByRole('button', { name: 'Sync: dry run' }).click();
    await page.waitForURL(/#\/jobs\/.+-sync-/);
    // Every value the progress bar takes, from the first one the page shows.
    await page.locator('#job-progress-bar').waitFor();
    await page.evaluate(() => {
      const bar = document.querySelector('#job-progress-bar');
      if (!bar) return;
      const seen = [bar.getAttribute('value') ?? ''];
      window.progressSeen = seen;
      new MutationObserver(() => seen.push(bar.getAttribute('value') ?? '')).observe(bar, { attributes: true });
    });
    expect(await finished(page)).toBe('succeeded');
    const seen = (await page.evaluate(() => window.progressSeen ?? [])).map(Number);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const dryRun = (await api<JobBody>('GET', `/jobs/${openJobId(page)}`)).body;
    expect(dryRun.counts.rows_missing).toBe(1);
    expect(await page.locator('[data-count="rows_missing"]').textContent()).toBe('1');
    expect(await page.locator('[data-count="rows_written"]').textContent()).toBe('0');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Registry sync (dry run, every org)');
    await expectAccessible(page);
    await screenshot(page, 'job');

    await page.getByRole('button', { name: 'Run the sync…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('The dry run found 1 missing row.');
    await dialog.getByRole('button', { name: 'Run the sync' }).click();
    await page.waitForURL((url) => !url.hash.endsWith(dryRun.job_id) && /#\/jobs\/.+-sync-/.test(url.hash));
    expect(await finished(page)).toBe('succeeded');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Registry sync (every org)');
    expect(await page.locator('[data-count="rows_written"]').textContent()).toBe('1');
    const row = await api<{ flag: { is_default: boolean; source: string } }>(
      'GET',
      `/org-feature-flags/jobs-150/flags/${flag.key}`,
    );
    expect(row.body.flag).toMatchObject({ is_default: false, source: 'synced' });

    await page.getByRole('link', { name: 'Jobs', exact: true }).first().click();
    await page.locator('table.jobs-table tbody tr').first().waitFor();
    expect(await page.locator('table.jobs-table tbody tr').count()).toBeGreaterThanOrEqual(2);
    await expectAccessible(page);
    await screenshot(page, 'jobs');
  }, 180_000);

  it('a job of a type already running is refused with the API’s message and a link to the running job', async () => {
    const { page, problems } = await signedIn(ADA);
    problems.allow(/status of 409/);
    await page.goto(`${ui.stack.url}/admin/#/jobs`);
    await page.getByRole('button', { name: 'Sync: dry run' }).waitFor();
    // A forced dry run visits every org, so it is still running when the page asks for a second one.
    const running = await api<JobBody>('POST', '/jobs/sync', { dry_run: true, force: true });
    expect(running.status).toBe(202);
    await page.getByRole('button', { name: 'Sync: dry run' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('job_running');
    expect(await alert.getByRole('link', { name: 'Watch the running job' }).getAttribute('href')).toBe(
      `#/jobs/${running.body.job_id}`,
    );
    await until(
      async () => (await api<JobBody>('GET', `/jobs/${running.body.job_id}`)).body.status !== 'running' || undefined,
      60_000,
      'the running job to end',
    );
  }, 120_000);

  it('an orphan cleanup that failed (its export could not be written) is resumed from the page and deletes the orphan after exporting it', async () => {
    const exportDir = path.join(ui.stack.dataDir, 'exports');
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/jobs`);
    await page.getByRole('button', { name: 'Orphan cleanup: dry run' }).click();
    await page.waitForURL(/#\/jobs\/.+-orphan-cleanup-/);
    expect(await finished(page)).toBe('succeeded');
    expect(await page.locator('[data-count="orphan_rows"]').textContent()).toBe('1');

    // Where the export goes is a file, not a directory: every attempt to write the export fails.
    await rm(exportDir, { recursive: true, force: true });
    await writeFile(exportDir, 'not a directory');
    const dryRunId = openJobId(page);
    await page.getByRole('button', { name: 'Run the cleanup…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Run the cleanup' }).click();
    await page.waitForURL((url) => /#\/jobs\/.+-orphan-cleanup-/.test(url.hash) && !url.hash.endsWith(dryRunId));
    expect(await finished(page)).toBe('failed');
    const failure = page.getByRole('alert');
    expect(await failure.textContent()).toContain('The job stopped');
    await expectAccessible(page);

    await rm(exportDir, { force: true });
    await failure.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.job-facts').getByText('Resumed').waitFor();
    expect(await finished(page)).toBe('succeeded');
    expect(await page.locator('.job-facts').textContent()).toContain('Resumedonce');
    expect(await page.locator('[data-count="rows_deleted"]').textContent()).toBe('1');
    expect(await page.locator('#job-result ~ p code').textContent()).toContain(exportDir);
    const orgFlags = await api<{ flags: { key: string }[] }>('GET', '/org-feature-flags/jobs-001');
    expect(orgFlags.body.flags.map((f) => f.key)).not.toContain(RETIRED_KEY);
  }, 180_000);
});

describe('a flag across more orgs than one bulk change takes', () => {
  it('with 200 orgs on the page all selected, the bulk buttons are disabled, saying the limit', async () => {
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/flags/${flag.key}?limit=200`);
    await page.locator('table.flag-orgs-table tbody tr').nth(199).waitFor();
    await page.getByLabel('Select every org on this page').check();
    expect(await page.locator('.bulk-count').textContent()).toBe('200 orgs selected');
    expect(await page.getByRole('button', { name: 'Turn on…' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Turn on…' }).getAttribute('aria-describedby')).toBe('bulk-limit');
    expect(await page.locator('#bulk-limit').textContent()).toBe('At most 100 orgs at a time.');
    await page.getByLabel('Select jobs-001', { exact: true }).uncheck();
    expect(await page.locator('.bulk-count').textContent()).toBe('199 orgs selected');
    expect(await page.getByRole('button', { name: 'Turn off…' }).isDisabled()).toBe(true);
  }, 60_000);
});

describe('roles and sizes', () => {
  it('a service token sees the registry without findings and is told that jobs need an admin, asking nothing it may not', async () => {
    const { page } = await signedIn({ role: 'service', name: 'reporting' });
    await page.goto(`${ui.stack.url}/admin/#/flags`);
    await page.locator('table.flags-table tbody tr').first().waitFor();
    await page.getByText('Reports need an admin token.').waitFor();
    expect(await page.getByRole('button', { name: /Run a/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByText('Jobs need an admin token.').waitFor();
    await expectAccessible(page);
  }, 60_000);

  it('at 375 px the Flags, Jobs and job screens fit without horizontal scrolling', async () => {
    const { page } = await signedIn(ADA, { viewport: PHONE });
    await page.goto(`${ui.stack.url}/admin/#/flags`);
    await page.locator('table.flags-table tbody tr').first().waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.goto(`${ui.stack.url}/admin/#/jobs`);
    await page.locator('table.jobs-table tbody tr').first().waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
    await page.locator('table.jobs-table tbody tr a').first().click();
    await page.locator('#job-progress-bar').waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
  }, 60_000);
});
