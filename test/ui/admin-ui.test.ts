import { createHash } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair } from 'jose';
import type { Page } from 'playwright-core';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, loadOrCreateKeys, signToken } from '../../lib/local/auth.js';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import { SCOPES } from '../../lambdas/domain/caller.js';
import { PHONE, screenshot, scrollsHorizontally, signIn, type LocalSignIn } from '../support/browser.js';
import { flagByKey, internalFlag, publicFlag, registry, type OrgFlagsBody } from '../support/flags.js';
import { tokenFor } from '../support/local-stack-process.js';
import { expectAccessible, switchOf, toggle, until, useUiHarness } from '../support/ui-harness.js';

/*
 * The admin UI in Debian's Chromium against a local stack started as `npm start` starts it: the
 * sign-in, the orgs and org screens, conflicts, live changes, roles and sessions; axe-core on
 * every screen; no console error or CSP violation on any page. The screenshots in docs/ui are
 * taken here.
 */

// The page functions below run in the browser; the tests are type-checked with Node's types only.
interface WebStorage {
  readonly length: number;
  setItem(key: string, value: string): void;
}
declare const window: { notReloaded?: boolean };
declare const sessionStorage: WebStorage;
declare const localStorage: WebStorage;

const ui = useUiHarness();
const { open, signedIn, api, provision } = ui;
const flag = publicFlag();
const internal = internalFlag();

const ADA: LocalSignIn = { role: 'admin', name: 'ada', email: 'ada@example.com' };
const GRACE: LocalSignIn = { role: 'admin', name: 'grace', email: 'grace@example.com' };
/** The browser's own console line for an answer the page expects and handles (409, 401, 400). */
const failedLoad = (status: number) =>
  new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

const flagsOf = async (orgId: string) => (await api<OrgFlagsBody>('GET', `/org-feature-flags/${orgId}`)).body.flags;

async function openOrg(page: Page, orgId: string): Promise<void> {
  await page.goto(`${ui.stack.url}/admin/#/orgs/${orgId}`);
  try {
    await page.getByRole('switch', { name: flag.key, exact: true }).waitFor();
  } catch (error) {
    throw new Error(
      `The org screen of ${orgId} did not show its flags. On the page: ${await page.locator('body').innerText()}`,
      { cause: error },
    );
  }
}

const rowOf = (page: Page, key: string) => page.locator(`li[data-flag="${key}"]`);

describe('signing in', () => {
  it('offers the sign-in, and the local sign-in form brings an admin to the orgs, named in the header', async () => {
    const { page } = await open();
    await page.goto(`${ui.stack.url}/admin/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Local sign-in' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'local-sign-in');

    await signIn(page, ui.stack, ADA);
    await page.getByRole('heading', { name: 'Orgs', level: 1 }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/orgs');
    const header = page.getByRole('banner');
    expect(await header.textContent()).toContain('ada@example.com');
    expect(await header.textContent()).toContain('admin');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Orgs',
      'Flags',
      'Jobs',
    ]);

    await page.goto(`${ui.stack.url}/admin/#/no-such-screen`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await expectAccessible(page);
  }, 60_000);
});

describe('the orgs screen', () => {
  it('finds orgs by id prefix, a page at a time, forward and back', async () => {
    const orgs = ['page-01', 'page-02', 'page-03', 'page-04', 'page-05'];
    await provision(...orgs);
    const { page } = await signedIn(ADA);
    await page.getByLabel('Org id starts with').fill('page-');
    await page.getByLabel('Org id starts with').press('Enter');
    await page.waitForURL(/#\/orgs\?prefix=page-$/);
    const listed = () => page.locator('table tbody th a').allTextContents();
    await until(async () => (await listed()).length === 5, 10_000, 'the search results');
    expect(await listed()).toEqual(orgs);

    await page.goto(`${ui.stack.url}/admin/#/orgs?prefix=page-&limit=2`);
    await until(async () => (await listed()).join() === 'page-01,page-02', 10_000, 'the first page');
    const next = page.getByRole('button', { name: 'Next page' });
    const previous = page.getByRole('button', { name: 'Previous page' });
    expect(await previous.isDisabled()).toBe(true);
    await next.click();
    await until(async () => (await listed()).join() === 'page-03,page-04', 10_000, 'the second page');
    await page.getByRole('heading', { name: /page 2/ }).waitFor();
    await next.click();
    await until(async () => (await listed()).join() === 'page-05', 10_000, 'the last page');
    expect(await next.isDisabled()).toBe(true);
    await previous.click();
    await until(async () => (await listed()).join() === 'page-03,page-04', 10_000, 'the second page again');
    await expectAccessible(page);

    await page.getByRole('link', { name: 'page-04' }).click();
    await page.waitForURL(/#\/orgs\/page-04$/);
    await switchOf(page, flag.key).waitFor();
  }, 60_000);

  it("shows the API's error message for a prefix the API refuses", async () => {
    const { page, problems } = await signedIn(ADA);
    problems.allow(failedLoad(400));
    await page.getByLabel('Org id starts with').fill('no spaces!');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('prefix must be 1-64 characters of letters, digits, - and _');
  }, 60_000);

  it('looks the same on every run (screenshot)', async () => {
    await provision('acme', 'acme-eu', 'acme-labs');
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/orgs?prefix=acme`);
    await until(async () => (await page.locator('table tbody tr').count()) === 3, 10_000, 'the acme orgs');
    await expectAccessible(page);
    await screenshot(page, 'orgs');
  }, 60_000);
});

describe('the org screen', () => {
  it('lists every registry flag in registry order; an admin toggles one, by mouse and by keyboard, and the API shows who', async () => {
    await provision('toggle-org');
    const { page } = await signedIn(ADA);
    await page.goto(`${ui.stack.url}/admin/#/orgs?prefix=toggle-org`);
    await page.getByRole('link', { name: 'toggle-org' }).click();
    await switchOf(page, flag.key).waitFor();

    expect(await page.locator('li[data-flag] .flag-key').allTextContents()).toEqual(registry.flags.map((f) => f.key));
    for (const definition of registry.flags) {
      const row = rowOf(page, definition.key);
      expect(await row.textContent()).toContain(definition.description);
      expect(await row.locator('.marker-internal').count()).toBe(definition.internal_only ? 1 : 0);
    }
    expect(await rowOf(page, internal.key).getByText('internal', { exact: true }).isVisible()).toBe(true);

    const before = flag.default_enabled;
    expect(await switchOf(page, flag.key).isChecked()).toBe(before);
    await toggle(page, flag.key);
    expect(await switchOf(page, flag.key).isChecked()).toBe(!before);
    expect(flagByKey(await flagsOf('toggle-org'), flag.key)).toMatchObject({
      user_enabled: !before,
      source: 'admin',
      updated_by: 'ada',
      updated_by_email: 'ada@example.com',
    });
    expect(await rowOf(page, flag.key).textContent()).toContain('Last changed by ada@example.com');
    await expectAccessible(page);
    await screenshot(page, 'org');

    await toggle(page, flag.key, 'Space');
    expect(await switchOf(page, flag.key).isChecked()).toBe(before);
    expect(flagByKey(await flagsOf('toggle-org'), flag.key).user_enabled).toBe(before);
  }, 60_000);

  it('two people toggle the same flag: the second sees the conflict and who made the first change, and can apply theirs on top', async () => {
    await provision('conflict-org');
    const [ada, grace] = [await signedIn(ADA), await signedIn(GRACE, { pollSeconds: 60 })];
    grace.problems.allow(failedLoad(409));
    await Promise.all([openOrg(ada.page, 'conflict-org'), openOrg(grace.page, 'conflict-org')]);
    const start = flag.default_enabled;

    // Both see the flag at `start`; Ada flips it first, then Grace asks for the same.
    await toggle(ada.page, flag.key);
    await toggle(grace.page, flag.key);
    const already = rowOf(grace.page, flag.key).getByRole('alert');
    expect(await already.textContent()).toMatch(
      new RegExp(`ada@example.com turned ${flag.key} ${start ? 'off' : 'on'} meanwhile at .+ as you wanted`),
    );
    expect(await switchOf(grace.page, flag.key).isChecked()).toBe(!start);
    await already.getByRole('button', { name: 'Dismiss' }).click();

    // Ada flips it back and forth: the same value as Grace sees, a newer version. Grace wants the other value.
    await toggle(ada.page, flag.key);
    await toggle(ada.page, flag.key);
    await toggle(grace.page, flag.key);
    const conflict = rowOf(grace.page, flag.key).getByRole('alert');
    expect(await conflict.textContent()).toMatch(
      new RegExp(`Not changed: ada@example.com changed ${flag.key} meanwhile at .+It is ${start ? 'off' : 'on'} now`),
    );
    expect(await switchOf(grace.page, flag.key).isChecked()).toBe(!start);
    expect(await switchOf(grace.page, flag.key).getAttribute('aria-describedby')).toContain(`flag-${flag.key}-problem`);
    await expectAccessible(grace.page);
    await screenshot(grace.page, 'org-conflict');

    await conflict.getByRole('button', { name: `Turn it ${start ? 'on' : 'off'} anyway` }).click();
    await until(async () => (await conflict.count()) === 0, 10_000, 'the conflict to close');
    expect(await switchOf(grace.page, flag.key).isChecked()).toBe(start);
    expect(flagByKey(await flagsOf('conflict-org'), flag.key)).toMatchObject({
      user_enabled: start,
      updated_by_email: 'grace@example.com',
    });
  }, 60_000);

  it('a flag the org has no row for (added to the registry after the org, not yet synced) shows as the registry default, and can be set', async () => {
    await provision('default-org');
    const dynamo = new DynamoDBClient(localDynamoDbClientConfig(`http://127.0.0.1:${ui.stack.env.DYNAMODB_PORT}`));
    await dynamo.send(
      new DeleteItemCommand({
        TableName: 'org-feature-flags',
        Key: { pk: { S: 'ORG#default-org' }, sk: { S: `FLAG#${flag.key}` } },
      }),
    );
    dynamo.destroy();
    expect(flagByKey(await flagsOf('default-org'), flag.key)).toMatchObject({
      is_default: true,
      source: 'registry_default',
      version: 0,
    });

    const { page } = await signedIn(ADA);
    await openOrg(page, 'default-org');
    const row = rowOf(page, flag.key);
    expect(await row.getByText('registry default', { exact: true }).isVisible()).toBe(true);
    expect(await row.textContent()).toContain('no row yet: the registry default');
    expect(await switchOf(page, flag.key).isChecked()).toBe(flag.default_enabled);
    for (const other of registry.flags.filter((f) => f.key !== flag.key))
      expect(await rowOf(page, other.key).locator('.marker-default').count()).toBe(0);

    await toggle(page, flag.key);
    expect(await row.locator('.marker-default').count()).toBe(0);
    expect(flagByKey(await flagsOf('default-org'), flag.key)).toMatchObject({
      is_default: false,
      source: 'admin',
      user_enabled: !flag.default_enabled,
    });
  }, 60_000);

  it('a change made through the API appears in the open page within a few seconds, without a reload', async () => {
    await provision('live-org');
    const { page } = await signedIn(ADA);
    await openOrg(page, 'live-org');
    await page.evaluate(() => (window.notReloaded = true));
    const other = await tokenFor(ui.stack, '--role', 'admin', '--sub', 'grace-api');
    expect(
      (
        await api(
          'POST',
          '/org-feature-flags',
          { org_id: 'live-org', key: flag.key, enabled: !flag.default_enabled },
          other,
        )
      ).status,
    ).toBe(200);

    const started = Date.now();
    await until(
      async () => (await switchOf(page, flag.key).isChecked()) === !flag.default_enabled,
      10_000,
      'the change to appear',
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await page.getByRole('status').textContent()).toContain(
      `${flag.key} was turned ${flag.default_enabled ? 'off' : 'on'} by grace-api.`,
    );
    expect(await rowOf(page, flag.key).textContent()).toContain('Last changed by grace-api');
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
  }, 60_000);

  it('a poll answered after a toggle never puts back the state from before the toggle', async () => {
    await provision('race-org');
    const { page } = await signedIn(ADA, { pollSeconds: 1 });
    await openOrg(page, 'race-org');
    // Each read of the org reaches the page 2 s after the service answered it: a poll sent just
    // before the toggle is answered with the state before it, and arrives after it.
    await page.route('**/org-feature-flags/race-org', async (route) => {
      const response = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await route.fulfill({ response });
    });
    await page.waitForRequest(
      (request) => request.method() === 'GET' && request.url().endsWith('/org-feature-flags/race-org'),
    );
    const target = !flag.default_enabled;
    await toggle(page, flag.key);
    const shown = new Set<boolean>();
    const watchUntil = Date.now() + 3_500;
    while (Date.now() < watchUntil) {
      shown.add(await switchOf(page, flag.key).isChecked());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...shown]).toEqual([target]);
    expect(flagByKey(await flagsOf('race-org'), flag.key).user_enabled).toBe(target);
  }, 60_000);

  it("shows the API's answer for an org that does not exist, and stops asking for it", async () => {
    const { page, problems } = await signedIn(ADA);
    problems.allow(failedLoad(404));
    let asked = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/org-feature-flags/no-such-org')) asked++;
    });
    await page.goto(`${ui.stack.url}/admin/#/orgs/no-such-org`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("No org 'no-such-org'.");
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(asked).toBe(1);
  }, 60_000);

  it('at 375 px wide the org and orgs screens fit without horizontal scrolling', async () => {
    await provision('a-rather-long-organization-identifier-for-narrow-screens-0001');
    const { page } = await signedIn(ADA, { viewport: PHONE });
    await openOrg(page, 'a-rather-long-organization-identifier-for-narrow-screens-0001');
    expect(await scrollsHorizontally(page)).toBe(false);
    await provision('phone-org');
    await openOrg(page, 'phone-org');
    expect(await scrollsHorizontally(page)).toBe(false);
    await screenshot(page, 'org-phone');
    await page.goto(`${ui.stack.url}/admin/#/orgs`);
    await page.locator('table tbody tr').first().waitFor();
    expect(await scrollsHorizontally(page)).toBe(false);
  }, 60_000);
});

describe('roles', () => {
  it('a service token sees every flag of an org read-only, saying why', async () => {
    await provision('service-org');
    const { page } = await signedIn({ role: 'service', name: 'reporting' });
    expect(await page.getByRole('banner').textContent()).toContain('service · read-only');
    await openOrg(page, 'service-org');
    for (const definition of registry.flags) {
      expect(await switchOf(page, definition.key).isDisabled()).toBe(true);
      expect(await rowOf(page, definition.key).textContent()).toContain('read-only: service token');
    }
    expect(await page.getByText('Read-only: service token.').isVisible()).toBe(true);
    await switchOf(page, flag.key).click({ force: true });
    expect(flagByKey(await flagsOf('service-org'), flag.key).source).toBe('provisioned');
    await expectAccessible(page);
    await screenshot(page, 'org-read-only');
  }, 60_000);

  it('an org token is refused with a clear page, and can sign out', async () => {
    const { page } = await signedIn({ role: 'org', name: 'acme-user', orgId: 'acme' });
    await page.getByRole('heading', { name: 'Not admitted' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('with a token of the org acme');
    expect(await page.getByRole('navigation').count()).toBe(0);
    await page.goto(`${ui.stack.url}/admin/#/orgs/acme`);
    await page.getByRole('heading', { name: 'Not admitted' }).waitFor();
    expect(await page.getByRole('switch').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'not-admitted');
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }, 60_000);
});

describe('sessions', () => {
  /** Puts a token where the local sign-in would, from a page of the same origin that runs no app. */
  async function holdToken(page: Page, token: string): Promise<void> {
    await page.goto(`${ui.stack.url}/admin/local-sign-in`);
    await page.evaluate((value) => sessionStorage.setItem('org-feature-flags.local-token', value), token);
  }

  it('an expired token leads to a new sign-in that comes back to the same screen', async () => {
    await provision('expiry-org');
    const expiring = await tokenFor(ui.stack, '--role', 'admin', '--expires', '1s');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { page } = await open();
    await holdToken(page, expiring);
    await page.goto(`${ui.stack.url}/admin/#/orgs/expiry-org`);
    await page.waitForURL('**/admin/local-sign-in');
    await signInForm(page);
    await page.waitForURL(/#\/orgs\/expiry-org$/);
    await switchOf(page, flag.key).waitFor();
  }, 60_000);

  it('a token the API refuses (401) leads to a new sign-in, not a broken page', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ scope: SCOPES.admin })
      .setProtectedHeader({ alg: 'RS256', kid: (await loadOrCreateKeys(ui.stack.dataDir)).kid })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const { page, problems } = await open();
    problems.allow(failedLoad(401));
    await holdToken(page, forged);
    await page.goto(`${ui.stack.url}/admin/#/orgs`);
    await page.waitForURL('**/admin/local-sign-in');
    await signInForm(page);
    await page.waitForURL(/#\/orgs$/);
    await page.locator('table tbody tr').first().waitFor();
  }, 60_000);

  it('a token with a staff scope that also names an org is not admitted, saying why', async () => {
    const mixed = await signToken(await loadOrCreateKeys(ui.stack.dataDir), {
      role: 'admin',
      orgId: 'acme',
      subject: 'mixed-up',
    });
    const { page } = await open();
    await holdToken(page, mixed);
    await page.goto(`${ui.stack.url}/admin/#/orgs`);
    await page.getByRole('heading', { name: 'Not admitted' }).waitFor();
    const alert = await page.getByRole('alert').textContent();
    expect(alert).toContain('mixed-up');
    expect(alert).toContain('org_id');
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('switch').count()).toBe(0);
    await expectAccessible(page);
  }, 60_000);

  it('signing out forgets the token', async () => {
    const { page } = await signedIn(ADA);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }, 60_000);

  /** Submits the local sign-in form as Ada. */
  async function signInForm(page: Page): Promise<void> {
    await page.getByLabel(/^admin:/i).check();
    await page.getByLabel('Name').fill(ADA.name);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
});

describe('the OIDC sign-in (authorization code with PKCE)', () => {
  it('signs in at the provider, keeps its tokens in sessionStorage only, calls the API with the access token, and signs out at the provider', async () => {
    // A stand-in for the stage's provider, on the page's own origin (the local CSP allows only that):
    // discovery, authorization, token and logout endpoints. The access token is signed by the local
    // stack's key, so the API verifies it as API Gateway verifies the provider's.
    await provision('oidc-org');
    const idp = `${ui.stack.url}/idp`;
    const app = `${ui.stack.url}/admin/`;
    const accessToken = await signToken(await loadOrCreateKeys(ui.stack.dataDir), {
      role: 'admin',
      subject: 'oidc-ada',
    });
    const { privateKey } = await generateKeyPair('ES256');
    const idToken = await new SignJWT({ email: 'ada@idp.example' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(idp)
      .setAudience('admin-ui')
      .setSubject('oidc-ada')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const seen: { authorize?: URLSearchParams; token?: URLSearchParams; logout?: URLSearchParams } = {};
    const { page } = await open();
    const context = page.context();
    await context.route('**/admin/config.json', (route) =>
      route.fulfill({
        json: {
          api_url: ui.stack.url,
          auth: {
            kind: 'oidc',
            authority: idp,
            client_id: 'admin-ui',
            scope: 'openid email feature-flags/admin',
            logout_url: `${idp}/logout?client_id=admin-ui&logout_uri=${encodeURIComponent(app)}`,
          },
        },
      }),
    );
    await context.route(`${idp}/**`, async (route) => {
      const url = new URL(route.request().url());
      switch (url.pathname) {
        case '/idp/.well-known/openid-configuration':
          return route.fulfill({
            json: {
              issuer: idp,
              authorization_endpoint: `${idp}/authorize`,
              token_endpoint: `${idp}/token`,
              jwks_uri: `${idp}/jwks`,
              response_types_supported: ['code'],
              code_challenge_methods_supported: ['S256'],
            },
          });
        case '/idp/authorize':
          seen.authorize = url.searchParams;
          return route.fulfill({
            status: 302,
            headers: {
              location: `${url.searchParams.get('redirect_uri')}?code=the-code&state=${url.searchParams.get('state')}`,
            },
          });
        case '/idp/token':
          seen.token = new URLSearchParams(route.request().postData() ?? '');
          return route.fulfill({
            json: {
              access_token: accessToken,
              id_token: idToken,
              token_type: 'Bearer',
              expires_in: 3600,
              scope: 'openid email feature-flags/admin',
            },
          });
        case '/idp/logout':
          seen.logout = url.searchParams;
          return route.fulfill({ status: 302, headers: { location: url.searchParams.get('logout_uri') ?? app } });
        default:
          return route.fulfill({ status: 404, body: '' });
      }
    });

    await page.goto(app);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orgs', level: 1 }).waitFor();
    await page.locator('table tbody tr').first().waitFor();
    expect(page.url()).toBe(`${app}#/orgs`);
    expect(Object.fromEntries(seen.authorize ?? [])).toMatchObject({
      response_type: 'code',
      client_id: 'admin-ui',
      redirect_uri: app,
      scope: 'openid email feature-flags/admin',
      code_challenge_method: 'S256',
    });
    const verifier = seen.token?.get('code_verifier') ?? '';
    expect(Object.fromEntries(seen.token ?? [])).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: app,
      client_id: 'admin-ui',
    });
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(seen.authorize?.get('code_challenge'));
    expect(await page.getByRole('banner').textContent()).toContain('ada@idp.example');
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
    expect(storage.local).toBe(0);
    expect(storage.session.some((key) => key.startsWith('oidc.user:'))).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(seen.logout?.get('client_id')).toBe('admin-ui');
    expect(
      await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('oidc.user:'))),
    ).toEqual([]);
  }, 60_000);
});
