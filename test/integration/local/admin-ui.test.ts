import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import {
  ADMIN_SECURITY_HEADERS,
  LOCAL_SIGN_IN_PATH,
  prepareAdminUi,
  type LocalAdminUi,
} from '../../../lib/local/admin-ui.js';
import { authorize, loadOrCreateKeys, type LocalKeys } from '../../../lib/local/auth.js';
import { LocalEventBus } from '../../../lib/local/event-bus.js';
import { startLocalServer, type HttpTarget } from '../../../lib/local/server.js';
import { ROUTES } from '../../../lambdas/http/routes.js';
import { uiSettingsSchema } from '../../../ui/src/settings.js';

/*
 * The admin UI as the local stack serves it: the local build, its settings, the security headers
 * and caching of each answer, and the local sign-in that mints tokens with the local signer.
 */

let server: Awaited<ReturnType<typeof startLocalServer>>;
let adminUi: LocalAdminUi;
let keys: LocalKeys;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-admin-ui-'));
  keys = await loadOrCreateKeys(dataDir);
  const health = ((await import('../../../lambdas/handlers/health.js')) as { handler: HttpTarget }).handler;
  adminUi = await prepareAdminUi({ keys });
  server = await startLocalServer({
    port: 0,
    routes: ROUTES.filter((route) => route.handler === 'health'),
    handlers: { health },
    keys,
    bus: new LocalEventBus({ rules: [], targets: {}, deadLetterFile: path.join(dataDir, 'dead-letters.jsonl') }),
    adminUi,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const get = (pathname: string, init: RequestInit = {}) =>
  fetch(`${server.url}${pathname}`, { redirect: 'manual', ...init });

const signInForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  get(LOCAL_SIGN_IN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

function expectSecurityHeaders(response: Response, referrerPolicy = ADMIN_SECURITY_HEADERS['referrer-policy']): void {
  for (const [name, value] of Object.entries({ ...ADMIN_SECURITY_HEADERS, 'referrer-policy': referrerPolicy }))
    expect(response.headers.get(name)).toBe(value);
}

describe('serving the admin UI', () => {
  it('redirects / and /admin to /admin/, and leaves other paths to the API', async () => {
    for (const pathname of ['/', '/admin']) {
      const response = await get(pathname);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/admin/');
    }
    expect((await get('/health')).status).toBe(200);
    const notFound = await get('/orgs-x');
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('sends a CSP without unsafe-inline or unsafe-eval that allows only its own origin', () => {
    const csp = ADMIN_SECURITY_HEADERS['content-security-policy']!;
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
  });

  it('serves index.html (no-cache) naming hashed assets, which are immutable and of the right type', async () => {
    const index = await get('/admin/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expectSecurityHeaders(index);
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=/);
    const js = /src="(assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    const css = /href="(assets\/main-[A-Z0-9]+\.css)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    expect(css).toBeDefined();
    for (const [asset, type] of [
      [js, 'text/javascript; charset=utf-8'],
      [css, 'text/css; charset=utf-8'],
    ] as const) {
      const response = await get(`/admin/${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expectSecurityHeaders(response);
      expect((await response.arrayBuffer()).byteLength).toBe(
        adminUi.build.files.find((file) => file.path === asset)?.bytes,
      );
      const head = await get(`/admin/${asset}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(response.headers.get('content-length'));
    }
  });

  it('serves the settings for the local sign-in, pointing the app at the origin it was loaded from', async () => {
    for (const origin of [server.url, server.url.replace('localhost', '127.0.0.1')]) {
      const response = await fetch(`${origin}/admin/config.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expectSecurityHeaders(response);
      expect(uiSettingsSchema.parse(await response.json())).toEqual({
        api_url: origin,
        auth: { kind: 'local', sign_in_url: LOCAL_SIGN_IN_PATH },
      });
    }
  });

  it('answers 404 for a file it does not have and 405 for a method it does not serve, with the security headers', async () => {
    const missing = await get('/admin/assets/main-NOPE.js');
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing);
    const put = await get('/admin/', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('the local sign-in', () => {
  it('is a plain form without script, never cached, with the security headers, sent by browsers with its origin', async () => {
    const response = await get(LOCAL_SIGN_IN_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Under no-referrer, browsers would send the form with `Origin: null`, which the sign-in refuses.
    expectSecurityHeaders(response, 'same-origin');
    const html = await response.text();
    expect(html).toContain(`<form method="post" action="${LOCAL_SIGN_IN_PATH}">`);
    expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    for (const role of ['admin', 'service', 'org']) expect(html).toContain(`name="role" value="${role}"`);
  });

  it('mints a token with the local signer (subject from the name, the email, 8 hours) and hands it over in the fragment', async () => {
    const response = await signInForm({ role: 'admin', name: 'Ada Lovelace', email: 'ada@example.com', org_id: '' });
    expect(response.status).toBe(303);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('set-cookie')).toBeNull();
    const location = response.headers.get('location') ?? '';
    const token = /^\/admin\/#signed-in=([A-Za-z0-9_.-]+)$/.exec(location)?.[1];
    expect(token).toBeDefined();
    const verified = await authorize(keys, `Bearer ${token}`, [SCOPES.admin]);
    expect(verified).toMatchObject({
      ok: true,
      claims: { sub: 'Ada Lovelace', email: 'ada@example.com', scope: SCOPES.admin },
    });
    const { exp, iat } = decodeJwt(token!);
    expect(exp! - iat!).toBe(8 * 3600);
  });

  it('mints a service token, and an org token bound to its org', async () => {
    const service = await signInForm({ role: 'service', name: 'reporting' });
    const serviceToken = /#signed-in=(.+)$/.exec(service.headers.get('location') ?? '')?.[1];
    expect(decodeJwt(serviceToken!)).toMatchObject({ sub: 'reporting', scope: SCOPES.service });
    expect(decodeJwt(serviceToken!).email).toBeUndefined();

    const org = await signInForm({ role: 'org', name: 'acme-user', org_id: 'acme' });
    const orgToken = /#signed-in=(.+)$/.exec(org.headers.get('location') ?? '')?.[1];
    expect(decodeJwt(orgToken!)).toMatchObject({ sub: 'acme-user', scope: SCOPES.org, org_id: 'acme' });
  });

  it.each([
    [{ role: 'org', name: 'x', org_id: '' }, 'An org token needs an org id.'],
    [{ role: 'org', name: 'x', org_id: 'not an id!' }, 'An org id is 1-64 letters'],
    [{ role: 'admin', name: '   ' }, 'Give a name'],
    [{ role: 'admin', name: 'ada', email: 'not-an-email' }, 'The email is not a valid address.'],
    [{ role: 'root', name: 'ada' }, 'Choose a role.'],
  ])('refuses %j with 400, saying why, and mints nothing', async (fields, message) => {
    const response = await signInForm(fields);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain(message);
  });

  it('shows the values sent back escaped', async () => {
    const response = await signInForm({ role: 'org', name: '<script>alert(1)</script>', org_id: '' });
    const html = await response.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('refuses a form sent from another origin (403) or not as a form (415)', async () => {
    const foreign = await signInForm({ role: 'admin', name: 'ada' }, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('location')).toBeNull();
    const json = await get(LOCAL_SIGN_IN_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"role":"admin","name":"ada"}',
    });
    expect(json.status).toBe(415);
    const sameOrigin = await signInForm({ role: 'admin', name: 'ada' }, { origin: server.url });
    expect(sameOrigin.status).toBe(303);
  });
});
