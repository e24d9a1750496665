import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchBrowser, newContext, signIn, watchProblems } from '../support/browser.js';
import { copyProjectWithFlags, MANY_FLAGS, provisionWithRetry } from '../support/many-flags.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';
import { startTogether } from '../support/start-together.js';

/*
 * An org with 200 flags: a copy of the project whose registry has 200, served by its own local
 * stack, in Chromium. The org screen shows every flag in registry order and a toggle of the last
 * one works. How fast: `npm run bench -- --only ui`.
 */

let root: string;
let stack: LocalStackProcess;
let browser: Browser;

beforeAll(async () => {
  root = await copyProjectWithFlags();
  [stack, browser] = await startTogether(
    { start: () => startLocalStackProcess({ root }), stop: (started) => started.stop() },
    { start: launchBrowser, stop: (started) => started.close() },
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

it(`shows an org with ${MANY_FLAGS} flags in registry order, and a toggle of the last one reaches the API`, async () => {
  const admin = await tokenFor(stack, '--role', 'admin');
  expect(await provisionWithRetry(stack.url, admin, 'big-org')).toBe(201);
  const registryKeys = (
    (await (await fetch(`${stack.url}/feature-flags`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      flags: { key: string }[];
    }
  ).flags.map((flag) => flag.key);
  expect(registryKeys).toHaveLength(MANY_FLAGS);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const problems = await watchProblems(page);
    await signIn(page, stack, { role: 'admin', name: 'ada' });
    await page.goto(`${stack.url}/admin/#/orgs/big-org`);
    await page.getByRole('switch', { name: registryKeys.at(-1), exact: true }).waitFor();
    expect(
      await page.locator('li[data-flag]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-flag'))),
    ).toEqual(registryKeys);

    const key = 'load-flag-197';
    const last = page.getByRole('switch', { name: key, exact: true });
    const before = await last.isChecked();
    await last.click();
    await page.locator(`#flag-${key}[aria-busy="false"]`).waitFor();
    expect(await last.isChecked()).toBe(!before);
    const stored = (await (
      await fetch(`${stack.url}/org-feature-flags/big-org/flags/${key}`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json()) as {
      flag: { user_enabled: boolean; updated_by: string };
    };
    expect(stored.flag).toMatchObject({ user_enabled: !before, updated_by: 'ada' });
    expect(problems.list()).toEqual([]);
  } finally {
    await context.close();
  }
}, 90_000);
