import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { orgIdSchema } from '../../lambdas/domain/schemas.js';
import { buildUi, type UiBuildResult } from '../../ui/build.js';
import { uiSettingsSchema, type UiSettings } from '../../ui/src/settings.js';
import { signToken, type LocalKeys } from './auth.js';
import { loopbackOrigins } from './loopback.js';

/** Where the admin UI is served, locally as in AWS. */
export const ADMIN_PATH = '/admin/';
/** The local sign-in: only the local stack serves it; nothing of it is in the AWS build or template. */
export const LOCAL_SIGN_IN_PATH = '/admin/local-sign-in';
/** How long a token from the local sign-in lasts. */
const SIGN_IN_EXPIRY = '8h';

/**
 * The security headers of every `/admin/` answer, as CloudFront sends them in AWS. Locally the
 * API is on the page's own origin, so `connect-src 'self'` is all it needs.
 */
export const ADMIN_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; '),
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The admin UI as the local stack serves it. */
export interface LocalAdminUi {
  /** The build it serves (mode `local`). */
  readonly build: UiBuildResult;
  /**
   * Answers `GET /` and `/admin` (redirects), everything under `/admin/`, and the local sign-in;
   * false for any other request, which is the API's.
   */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean>;
}

/**
 * Builds the UI in `local` mode into a temporary directory, keeps its files in memory and
 * removes the directory. It is served behind the local server, which admits only requests
 * addressed to a loopback name and its port: the app is told to call the API on the origin it
 * was loaded from (the request's `Host`), so that each of them works under `connect-src 'self'`.
 */
export async function prepareAdminUi(options: {
  keys: LocalKeys;
  log?: (line: string) => void;
}): Promise<LocalAdminUi> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'off-admin-ui-'));
  let build: UiBuildResult;
  const files = new Map<string, Buffer>();
  try {
    build = await buildUi({ mode: 'local', outDir: dir });
    for (const file of build.files) files.set(file.path, await readFile(path.join(dir, file.path)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const css = build.files.find((file) => file.kind === 'css');
  if (!css) throw new Error('The admin UI build has no style sheet.');
  const stylesheet = `${ADMIN_PATH}${css.path}`;
  options.log?.(
    `[admin-ui] built in ${Date.now() - started} ms (JS + CSS ${(build.jsCssGzipBytes / 1024).toFixed(1)} KB gzipped)`,
  );

  function serveFile(res: ServerResponse, method: string, name: string): void {
    const contents = files.get(name);
    if (!contents) {
      send(res, method, 404, 'Not found.\n', {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': NO_CACHE,
      });
      return;
    }
    send(res, method, 200, contents, {
      'content-type': CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
      'cache-control': name === 'index.html' ? NO_CACHE : IMMUTABLE,
    });
  }

  return {
    build,
    async handle(req, res, url, body) {
      const method = req.method ?? 'GET';
      const pathname = url.pathname;
      const read = method === 'GET' || method === 'HEAD';
      if (read && (pathname === '/' || pathname === '/admin')) {
        res.writeHead(302, { location: ADMIN_PATH, 'cache-control': NO_CACHE });
        res.end();
        return true;
      }
      if (!pathname.startsWith(ADMIN_PATH)) return false;
      for (const [name, value] of Object.entries(ADMIN_SECURITY_HEADERS)) res.setHeader(name, value);

      if (pathname === LOCAL_SIGN_IN_PATH) {
        // Under `no-referrer` a browser sends the form with `Origin: null`, which the sign-in
        // refuses; `same-origin` sends the page's own origin, and a Referer to this stack only.
        res.setHeader('referrer-policy', 'same-origin');
        if (method === 'POST') await signIn(req, res, body, options.keys, stylesheet);
        else if (read)
          send(res, method, 200, signInPage(stylesheet), {
            'content-type': CONTENT_TYPES['.html']!,
            'cache-control': 'no-store',
          });
        else methodNotAllowed(res, 'GET, HEAD, POST');
        return true;
      }
      if (!read) {
        methodNotAllowed(res, 'GET, HEAD');
        return true;
      }
      if (pathname === `${ADMIN_PATH}config.json`) {
        const settings: UiSettings = uiSettingsSchema.parse({
          api_url: `http://${req.headers.host?.toLowerCase()}`,
          auth: { kind: 'local', sign_in_url: LOCAL_SIGN_IN_PATH },
        });
        send(res, method, 200, JSON.stringify(settings), {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': NO_CACHE,
        });
        return true;
      }
      serveFile(res, method, pathname === ADMIN_PATH ? 'index.html' : pathname.slice(ADMIN_PATH.length));
      return true;
    },
  };
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

const signInSchema = z
  .object({
    role: z.enum(['admin', 'service', 'org'], { error: 'Choose a role.' }),
    org_id: optionalText,
    name: z
      .string({ error: 'Give a name.' })
      .trim()
      .min(1, 'Give a name: the audit trail records it as the subject of the token.')
      .max(64, 'The name may have at most 64 characters.')
      .regex(/^[^\p{Cc}]+$/u, 'The name may not hold control characters.'),
    email: optionalText.pipe(z.email('The email is not a valid address.').optional()),
  })
  .superRefine((value, ctx) => {
    if (value.role !== 'org') return;
    if (!value.org_id) ctx.addIssue({ code: 'custom', path: ['org_id'], message: 'An org token needs an org id.' });
    else if (!orgIdSchema.safeParse(value.org_id).success)
      ctx.addIssue({ code: 'custom', path: ['org_id'], message: 'An org id is 1-64 letters, digits, - and _.' });
  });

type SignInForm = Partial<Record<'role' | 'org_id' | 'name' | 'email', string>>;

/** Mints a token with the local signer and sends the browser to the app with it in the fragment. */
async function signIn(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  keys: LocalKeys,
  stylesheet: string,
): Promise<void> {
  const html = { 'content-type': CONTENT_TYPES['.html']!, 'cache-control': 'no-store' };
  // Browsers send Origin with every POST: `null` from a sandboxed frame or a file, another
  // site's origin from its pages. A request without one comes from a program on this machine.
  const origin = req.headers.origin;
  if (origin !== undefined && !loopbackOrigins(req.socket.localPort ?? 0).includes(origin)) {
    send(res, 'POST', 403, signInPage(stylesheet, {}, 'The sign-in form must be sent from this page.'), html);
    return;
  }
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    send(res, 'POST', 415, signInPage(stylesheet, {}, 'The sign-in form must be sent as a form.'), html);
    return;
  }
  const form = Object.fromEntries(new URLSearchParams(body.toString('utf8'))) as SignInForm;
  const parsed = signInSchema.safeParse(form);
  if (!parsed.success) {
    send(
      res,
      'POST',
      400,
      signInPage(stylesheet, form, parsed.error.issues.map((issue) => issue.message).join(' ')),
      html,
    );
    return;
  }
  const { role, org_id, name, email } = parsed.data;
  const token = await signToken(keys, {
    role,
    subject: name,
    expiresIn: SIGN_IN_EXPIRY,
    ...(role === 'org' && org_id ? { orgId: org_id } : {}),
    ...(email ? { email } : {}),
  });
  // The token travels in the fragment: browsers never send it to a server or in a Referer.
  res.writeHead(303, { location: `${ADMIN_PATH}#signed-in=${token}`, 'cache-control': 'no-store' });
  res.end();
}

/** The local sign-in form: plain HTML, no script, the app's style sheet. */
function signInPage(stylesheet: string, form: SignInForm = {}, error?: string): string {
  const role = form.role ?? 'admin';
  const radio = (value: string, label: string) =>
    `<div class="choice"><input type="radio" id="role-${value}" name="role" value="${value}"${role === value ? ' checked' : ''}><label for="role-${value}">${label}</label></div>`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Local sign-in · Feature flags</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${escapeHtml(stylesheet)}">
  </head>
  <body>
    <main id="main" class="page-narrow">
      <p class="brand">Feature flags</p>
      <h1>Local sign-in</h1>
      <p>Only the local stack has this page: it signs a token with the local key, as the identity provider does in AWS. The token lasts ${SIGN_IN_EXPIRY.replace('h', ' hours')} and stays in this browser tab.</p>
      ${error ? `<div class="message message-error" role="alert"><p>${escapeHtml(error)}</p></div>` : ''}
      <form method="post" action="${LOCAL_SIGN_IN_PATH}">
        <fieldset>
          <legend>Role</legend>
          ${radio('admin', 'Admin: sees and changes every org&#8217;s flags')}
          ${radio('service', 'Service: sees everything, changes nothing')}
          ${radio('org', 'Org: one org&#8217;s token (the admin UI refuses it)')}
        </fieldset>
        <div class="field">
          <label for="org_id">Org id (org tokens only)</label>
          <input type="text" id="org_id" name="org_id" maxlength="64" autocomplete="off" value="${escapeHtml(form.org_id ?? '')}">
        </div>
        <div class="field">
          <label for="name">Name</label>
          <input type="text" id="name" name="name" required maxlength="64" autocomplete="username" aria-describedby="name-hint" value="${escapeHtml(form.name ?? 'local-admin')}">
          <p id="name-hint" class="hint">The token&#8217;s subject: the audit trail records it with every change.</p>
        </div>
        <div class="field">
          <label for="email">Email (optional)</label>
          <input type="email" id="email" name="email" maxlength="254" autocomplete="email" value="${escapeHtml(form.email ?? '')}">
        </div>
        <button type="submit" class="button button-primary">Sign in</button>
      </form>
    </main>
  </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { allow, 'content-type': 'text/plain; charset=utf-8', 'cache-control': NO_CACHE });
  res.end('Method not allowed.\n');
}

function send(
  res: ServerResponse,
  method: string,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
): void {
  const contents = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-length': String(contents.byteLength) });
  res.end(method === 'HEAD' ? undefined : contents);
}
