import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_UI_CHECK_NAMES, runAdminUiChecks, type AdminUiCheckName } from '../../lib/smoke/admin-ui.js';
import { CHECK_NAMES, runSmoke } from '../../lib/smoke/run.js';
import { PROJECT_ROOT } from '../../lib/project.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

let stack: LocalStackProcess;
let admin: string;

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

/** The admin UI checks alone, against `uiUrl`, collecting each result. */
async function uiChecks(uiUrl: string, apiUrl: string): Promise<Map<AdminUiCheckName, string | true>> {
  const results = new Map<AdminUiCheckName, string | true>();
  await runAdminUiChecks(
    async (name, run) => {
      try {
        await run();
        results.set(name, true);
        return true;
      } catch (error) {
        results.set(name, (error as Error).message);
        return false;
      }
    },
    { uiUrl, apiUrl, timeoutMs: 5_000 },
  );
  return results;
}

/** A server answering each path with what `routes` says (404 otherwise). */
async function serve(
  routes: Record<string, { status?: number; headers?: Record<string, string>; body?: string }>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(route?.status ?? (route ? 200 : 404), route?.headers ?? {});
    res.end(route?.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const GOOD_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://*.execute-api.eu-west-1.amazonaws.com https://login.example.com; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const API = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
const PAGE =
  '<!doctype html><link rel="stylesheet" href="assets/main-AAAAAAAA.css"><script type="module" src="assets/main-BBBBBBBB.js"></script>';

describe('npm run smoke with --ui-url', () => {
  it('passes the admin UI checks against the local stack, after every API check', async () => {
    const lines: string[] = [];
    const report = await runSmoke({
      url: stack.url,
      uiUrl: `${stack.url}/admin/`,
      token: admin,
      timeoutMs: 10_000,
      log: (line) => lines.push(line),
    });

    expect(report.results.filter((result) => !result.ok)).toEqual([]);
    expect(report.results.map((result) => result.name)).toEqual([...CHECK_NAMES, ...ADMIN_UI_CHECK_NAMES]);
    expect(lines[0]).toContain(`admin UI ${stack.url}/admin/`);
    expect(lines.at(-1)).toBe(`smoke: ${CHECK_NAMES.length + ADMIN_UI_CHECK_NAMES.length} passed, 0 failed`);
  }, 60_000);

  it('runs from the command line as the deploy workflow runs it, and refuses a --ui-url that is not a URL', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env };
        delete env.SMOKE_TOKEN;
        execFile(
          'npm',
          ['run', '-s', 'smoke', '--', ...args],
          { cwd: PROJECT_ROOT, env, timeout: 60_000 },
          (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
          },
        );
      });
    const ok = await run(['--url', stack.url, '--ui-url', `${stack.url}/admin/`, '--token', admin]);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({
      code: 0,
      stderr: expect.not.stringMatching(/\n\s+at .+:\d+:\d+/),
    });
    for (const name of ADMIN_UI_CHECK_NAMES)
      expect(ok.stdout).toMatch(new RegExp(`^ok {3}${name} \\(\\d+ ms\\)$`, 'm'));

    const bad = await run(['--url', stack.url, '--ui-url', 'admin ui', '--token', admin]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ui-url must be an http:// or https:// URL');
  }, 90_000);
});

describe('the admin UI checks', () => {
  it('pass for a page served as CloudFront serves it (and read config.json beside it)', async () => {
    const site = await serve({
      '/admin': { status: 302, headers: { location: '/admin/' } },
      '/admin/': { headers: { ...GOOD_HEADERS, 'content-type': 'text/html', 'cache-control': 'no-cache' }, body: PAGE },
      '/admin/assets/main-AAAAAAAA.css': { headers: { 'content-type': 'text/css' }, body: 'body{}' },
      '/admin/assets/main-BBBBBBBB.js': { headers: { 'content-type': 'application/javascript' }, body: 'export {}' },
      '/admin/config.json': {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({
          api_url: API,
          auth: { kind: 'oidc', authority: 'https://login.example.com/', client_id: 'ui', scope: 'openid' },
        }),
      },
    });
    try {
      expect(Object.fromEntries(await uiChecks(`${site.url}/admin/`, `${API}/`))).toEqual(
        Object.fromEntries(ADMIN_UI_CHECK_NAMES.map((name) => [name, true])),
      );
    } finally {
      await site.close();
    }
  });

  it('fail, each naming what is wrong, for a page without the security headers, with inline script, missing assets and settings for another API', async () => {
    const site = await serve({
      '/admin': { status: 200, headers: { 'content-type': 'text/html' }, body: 'hello' },
      '/admin/': {
        headers: {
          'content-type': 'text/html',
          'content-security-policy': "default-src 'self' 'unsafe-inline'",
          'cache-control': 'max-age=600',
        },
        body: `${PAGE}<script>alert(1)</script>`,
      },
      '/admin/config.json': {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({
          api_url: 'https://other.example.com',
          auth: { kind: 'local', sign_in_url: '/admin/local-sign-in' },
        }),
      },
    });
    try {
      const results = await uiChecks(`${site.url}/admin/`, API);
      expect(results.get('ui-redirect')).toMatch(
        /^GET \/admin answered 200 without a location, not a redirect to \/admin\/$/,
      );
      const page = String(results.get('ui-page'));
      for (const problem of [
        "the CSP allows 'unsafe-inline'",
        "the CSP lacks frame-ancestors 'none'",
        'strict-transport-security',
        'no x-content-type-options: nosniff',
        'no referrer-policy: no-referrer',
        "the CSP's connect-src does not allow the API (https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com)",
        "cache-control 'max-age=600'",
        'the page has 1 inline script(s)',
      ]) {
        expect(page).toContain(problem);
      }
      expect(results.get('ui-assets')).toBe('not run: needs the ui-page check');
      expect(results.get('ui-settings')).toBe(`config.json names the API https://other.example.com, not ${API}`);
    } finally {
      await site.close();
    }
  });

  it("fail when the assets do not load, config.json is not valid settings, or the page's CSP does not admit its identity provider", async () => {
    const site = await serve({
      '/admin/': { headers: { ...GOOD_HEADERS, 'content-type': 'text/html', 'cache-control': 'no-cache' }, body: PAGE },
      '/admin/assets/main-AAAAAAAA.css': { headers: { 'content-type': 'text/css' }, body: 'body{}' },
      '/admin/config.json': {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({
          api_url: `${API}/`,
          auth: { kind: 'oidc', authority: 'https://login.example.com', client_id: '', scope: 'openid' },
        }),
      },
    });
    const other = await serve({
      '/admin/': { headers: { ...GOOD_HEADERS, 'content-type': 'text/html', 'cache-control': 'no-cache' }, body: PAGE },
      '/admin/config.json': {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({
          api_url: API,
          auth: { kind: 'oidc', authority: 'https://idp.elsewhere.example', client_id: 'ui', scope: 'openid' },
        }),
      },
    });
    try {
      const results = await uiChecks(`${site.url}/admin/`, API);
      expect(results.get('ui-redirect')).toMatch(/^GET \/admin answered 404/);
      expect(results.get('ui-page')).toBe(true);
      expect(results.get('ui-assets')).toMatch(/^GET \/admin\/assets\/main-BBBBBBBB\.js answered 404/);
      expect(results.get('ui-settings')).toMatch(
        /^config\.json is not valid settings \(.*✖ api_url must not end with a slash\n {2}→ at api_url\n.*✖ client_id is required\n {2}→ at auth\.client_id\)$/s,
      );
      expect((await uiChecks(`${other.url}/admin/`, API)).get('ui-settings')).toBe(
        "the page's CSP does not let it reach the identity provider https://idp.elsewhere.example",
      );
    } finally {
      await site.close();
      await other.close();
    }
  });
});
