import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext } from '../support/browser.js';
import { registry } from '../support/flags.js';
import { freePort, startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * An org's own web frontend, as OpenFeature users build one: the unmodified OFREP web provider
 * (`@openfeature/ofrep-web-provider`) with `@openfeature/web-sdk`, bundled for the browser and
 * served from another origin than the API, in Chromium, signed with the org's token.
 */

// The page functions below run in the browser; the tests are type-checked with Node's types only.
interface Evaluated {
  value: boolean;
  reason: string | undefined;
  variant: string | null;
  errorCode: string | null;
}
declare const window: {
  startFlags(options: { baseUrl: string; token: string; orgId: string; pollInterval: number }): Promise<void>;
  evaluate(key: string): Evaluated;
  configurationChanges: number;
};

/** The page's script: the SDK and provider as an app would use them. */
const PAGE_SCRIPT = `
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

window.configurationChanges = 0;
window.startFlags = async ({ baseUrl, token, orgId, pollInterval }) => {
  OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, () => { window.configurationChanges += 1; });
  await OpenFeature.setContext({ targetingKey: orgId });
  await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl, pollInterval, headers: [['Authorization', 'Bearer ' + token]] }));
};
window.evaluate = (key) => {
  const details = OpenFeature.getClient().getBooleanDetails(key, false);
  return { value: details.value, reason: details.reason, variant: details.variant ?? null, errorCode: details.errorCode ?? null };
};
`;

const ORG = 'web-acme';
const POLL_MS = 400;

let stack: LocalStackProcess;
let pages: Server;
let pageOrigin: string;
let browser: Browser;
let admin: string;
let orgToken: string;

/** A tiny static server for the app's page and its bundle, on its own origin. */
async function servePage(bundle: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><html lang="en"><title>App</title><script src="/app.js"></script></html>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function setFlag(key: string, enabled: boolean): Promise<void> {
  const response = await fetch(`${stack.url}/org-feature-flags`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ org_id: ORG, key, enabled }),
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  const bundled = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'warning',
  });
  const port = await freePort();
  pageOrigin = `http://127.0.0.1:${port}`;
  pages = await servePage(bundled.outputFiles[0]!.text, port);
  stack = await startLocalStackProcess({ env: { CORS_ALLOW_ORIGINS: pageOrigin } });
  [admin, orgToken] = await Promise.all([
    tokenFor(stack, '--role', 'admin'),
    tokenFor(stack, '--role', 'org', '--org', ORG),
  ]);
  const provisioned = await fetch(`${stack.url}/orgs/${ORG}/provision`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(provisioned.status).toBe(201);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise((resolve) => pages?.close(resolve));
});

interface Exchange {
  status: number;
  ifNoneMatch: string | null;
  keys?: string[];
}

/** Every bulk evaluation the page makes, in order. */
function recordExchanges(page: Page): Exchange[] {
  const exchanges: Exchange[] = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || !response.url().endsWith('/ofrep/v1/evaluate/flags')) return;
    const exchange: Exchange = { status: response.status(), ifNoneMatch: request.headers()['if-none-match'] ?? null };
    exchanges.push(exchange);
    if (response.status() === 200) {
      void response
        .json()
        .then((body: { flags: { key: string }[] }) => (exchange.keys = body.flags.map((flag) => flag.key)));
    }
  });
  return exchanges;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the OFREP web provider in Chromium, with an org token', () => {
  it("reads exactly its org's non-internal flags, refreshes with 304s, and sees an admin's change after its next refresh", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const exchanges = recordExchanges(page);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${pageOrigin}/`);
    await page.evaluate((options) => window.startFlags(options), {
      baseUrl: stack.url,
      token: orgToken,
      orgId: ORG,
      pollInterval: POLL_MS,
    });

    const visible = registry.flags.filter((flag) => !flag.internal_only);
    const first = await until('the first answer', () => (exchanges[0]?.keys ? exchanges[0] : undefined));
    expect(first).toEqual({ status: 200, ifNoneMatch: null, keys: visible.map((flag) => flag.key) });
    for (const flag of visible) {
      expect({ key: flag.key, ...(await page.evaluate((key) => window.evaluate(key), flag.key)) }).toEqual({
        key: flag.key,
        value: flag.default_enabled,
        reason: 'TARGETING_MATCH',
        variant: flag.default_enabled ? 'on' : 'off',
        errorCode: null,
      });
    }
    for (const flag of registry.flags.filter((f) => f.internal_only)) {
      expect(await page.evaluate((key) => window.evaluate(key), flag.key)).toMatchObject({
        value: false,
        errorCode: 'FLAG_NOT_FOUND',
      });
    }

    // Polling revalidates with the ETag: nothing changed, so 304s and no new answer.
    await until('two refreshes', () => (exchanges.filter((e) => e.status === 304).length >= 2 ? true : undefined));
    expect(exchanges.slice(1).every((e) => e.status === 304 && e.ifNoneMatch !== null)).toBe(true);
    const changesBefore = await page.evaluate(() => window.configurationChanges);

    const target = visible[0]!;
    await setFlag(target.key, !target.default_enabled);
    const after = await until('the change in the page', async () => {
      const evaluated = await page.evaluate((key) => window.evaluate(key), target.key);
      return evaluated.value === !target.default_enabled ? evaluated : undefined;
    });
    expect(after).toMatchObject({ reason: 'TARGETING_MATCH', variant: target.default_enabled ? 'off' : 'on' });
    expect(exchanges.at(-1)).toMatchObject({ status: 200 });
    expect(await page.evaluate(() => window.configurationChanges)).toBeGreaterThan(changesBefore);
    // Still its own org's non-internal flags only.
    expect(
      exchanges
        .filter((e) => e.status === 200)
        .every((e) => e.keys === undefined || e.keys.join() === visible.map((f) => f.key).join()),
    ).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
