import { z } from 'zod';
import { uiSettingsSchema } from '../../ui/src/settings.js';
import { describeNetworkError, normalizeBaseUrl } from './http.js';

/** The admin UI's checks, in the order they run, after the API's. */
export const ADMIN_UI_CHECK_NAMES = ['ui-redirect', 'ui-page', 'ui-assets', 'ui-settings'] as const;

export type AdminUiCheckName = (typeof ADMIN_UI_CHECK_NAMES)[number];

/** Runs one check: a thrown error fails it, with the error's message as the reason. */
export type RunCheck = (name: AdminUiCheckName, run: () => Promise<void>) => Promise<boolean>;

export interface AdminUiSmokeOptions {
  /** The page, `https://<domain>/admin/` (the stack's `AdminUiUrl` output) or `http://localhost:3000/admin/`. */
  readonly uiUrl: string;
  /** The API's base URL: `config.json` must name it, and the page's CSP must let the page call it. */
  readonly apiUrl: string;
  readonly timeoutMs: number;
}

/** At least a year, as browsers' preload lists ask. */
const MIN_HSTS_SECONDS = 31_536_000;

interface UiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * Checks the admin UI as a browser meets it: `/admin` redirects to the page; the page is HTML
 * with the security headers (a CSP without inline code or eval that forbids framing and lets the
 * page call the API, HSTS, nosniff, no referrer) and no inline script; its script and style
 * sheet load; its `config.json` is valid settings naming this API, and its identity provider is
 * one the CSP lets the page call. Only reads.
 */
export async function runAdminUiChecks(check: RunCheck, options: AdminUiSmokeOptions): Promise<void> {
  const pageUrl = new URL(options.uiUrl.endsWith('/') ? options.uiUrl : `${options.uiUrl}/`);
  const apiUrl = normalizeBaseUrl(options.apiUrl);
  const get = (url: URL) => fetchUi(url, options.timeoutMs);

  await check('ui-redirect', async () => {
    const bare = new URL(pageUrl.pathname.replace(/\/$/, ''), pageUrl);
    const response = await get(bare);
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) {
      throw new Error(
        `GET ${bare.pathname} answered ${response.status}${location ? '' : ' without a location'}, not a redirect to ${pageUrl.pathname}`,
      );
    }
    if (new URL(location, bare).href !== pageUrl.href)
      throw new Error(`GET ${bare.pathname} redirects to ${location}, not ${pageUrl.pathname}`);
  });

  let csp: Csp | undefined;
  let assets: { scripts: URL[]; styles: URL[] } | undefined;
  await check('ui-page', async () => {
    const response = await get(pageUrl);
    expectOk(response, pageUrl, /^text\/html\b/);
    const problems = securityHeaderProblems(response.headers);
    const policy = parseCsp(response.headers.get('content-security-policy') ?? '');
    if (!cspAllows(policy, 'connect-src', new URL(apiUrl), pageUrl))
      problems.push(`the CSP's connect-src does not allow the API (${new URL(apiUrl).origin})`);
    const cacheControl = response.headers.get('cache-control') ?? '';
    if (!/\bno-(cache|store)\b/.test(cacheControl))
      problems.push(`cache-control '${cacheControl}' lets a browser keep an old page (expected no-cache)`);
    const page = parsePage(response.text, pageUrl);
    if (page.inlineScripts > 0) problems.push(`the page has ${page.inlineScripts} inline script(s)`);
    if (page.scripts.length === 0 || page.styles.length === 0)
      problems.push('the page names no script or no style sheet');
    if (problems.length > 0) throw new Error(problems.join('; '));
    csp = policy;
    assets = page;
  });

  await check('ui-assets', async () => {
    if (!assets) throw new Error('not run: needs the ui-page check');
    const expected = [
      ...assets.scripts.map((url) => ({ url, type: /^(text|application)\/javascript\b/ })),
      ...assets.styles.map((url) => ({ url, type: /^text\/css\b/ })),
    ];
    for (const { url, type } of expected) {
      const response = await get(url);
      expectOk(response, url, type);
      if (response.text.length === 0) throw new Error(`GET ${url.pathname} is empty`);
    }
  });

  await check('ui-settings', async () => {
    const url = new URL('config.json', pageUrl);
    const response = await get(url);
    expectOk(response, url, /^application\/json\b/);
    const cacheControl = response.headers.get('cache-control') ?? '';
    if (!/\bno-(cache|store)\b/.test(cacheControl))
      throw new Error(`config.json has cache-control '${cacheControl}' (expected no-cache)`);
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new Error(`config.json is not JSON: ${preview(response.text)}`);
    }
    const parsed = uiSettingsSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`config.json is not valid settings (${z.prettifyError(parsed.error)})`);
    }
    const settings = parsed.data;
    if (settings.api_url !== apiUrl) throw new Error(`config.json names the API ${settings.api_url}, not ${apiUrl}`);
    if (
      settings.auth.kind === 'oidc' &&
      csp &&
      !cspAllows(csp, 'connect-src', new URL(settings.auth.authority), pageUrl)
    ) {
      throw new Error(
        `the page's CSP does not let it reach the identity provider ${new URL(settings.auth.authority).origin}`,
      );
    }
  });
}

async function fetchUi(url: URL, timeoutMs: number): Promise<UiResponse> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    throw new Error(`GET ${url.href} ${describeNetworkError(error, timeoutMs)}`);
  }
}

function expectOk(response: UiResponse, url: URL, contentType: RegExp): void {
  if (response.status !== 200)
    throw new Error(`GET ${url.pathname} answered ${response.status}: ${preview(response.text)}`);
  const type = response.headers.get('content-type') ?? '';
  if (!contentType.test(type)) throw new Error(`GET ${url.pathname} has content-type '${type}'`);
}

/** What is wrong with the page's security headers; empty when nothing is. */
export function securityHeaderProblems(headers: Headers): string[] {
  const problems: string[] = [];
  const csp = headers.get('content-security-policy');
  if (!csp) {
    problems.push('no content-security-policy');
  } else {
    const policy = parseCsp(csp);
    for (const keyword of ["'unsafe-inline'", "'unsafe-eval'"])
      if (csp.includes(keyword)) problems.push(`the CSP allows ${keyword}`);
    if ((policy.get('frame-ancestors') ?? []).join(' ') !== "'none'")
      problems.push("the CSP lacks frame-ancestors 'none'");
    for (const directive of ['script-src', 'style-src']) {
      const sources = policy.get(directive) ?? policy.get('default-src');
      if (!sources || sources.some((source) => source === '*' || /^(https?:|data:|blob:)$/.test(source)))
        problems.push(`the CSP's ${directive} allows any host`);
    }
  }
  const maxAge = Number(/(?:^|;)\s*max-age=(\d+)/i.exec(headers.get('strict-transport-security') ?? '')?.[1] ?? NaN);
  if (!(maxAge >= MIN_HSTS_SECONDS))
    problems.push(
      `strict-transport-security '${headers.get('strict-transport-security') ?? ''}' (expected max-age of at least a year)`,
    );
  if (headers.get('x-content-type-options')?.toLowerCase() !== 'nosniff')
    problems.push('no x-content-type-options: nosniff');
  if (headers.get('referrer-policy')?.toLowerCase() !== 'no-referrer') problems.push('no referrer-policy: no-referrer');
  return problems;
}

type Csp = ReadonlyMap<string, readonly string[]>;

function parseCsp(text: string): Csp {
  const policy = new Map<string, string[]>();
  for (const part of text.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !policy.has(name.toLowerCase())) policy.set(name.toLowerCase(), sources);
  }
  return policy;
}

/**
 * Whether `directive` (or `default-src`) lets a page at `page` reach `target`, for the source
 * expressions the UI's policies use: `'self'`, `*`, scheme-only, and hosts with an optional
 * leading `*.` wildcard, scheme and port.
 */
export function cspAllows(policy: Csp, directive: string, target: URL, page: URL): boolean {
  const sources = policy.get(directive) ?? policy.get('default-src') ?? [];
  return sources.some((source) => {
    if (source === "'self'") return target.origin === page.origin;
    if (source === '*') return /^https?:$/.test(target.protocol);
    if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return target.protocol === source.toLowerCase();
    const match = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^/:]+)(?::(\d+|\*))?/i.exec(source);
    if (!match) return false;
    const [, scheme, wildcard, host = '', port] = match;
    if (
      scheme
        ? target.protocol !== `${scheme.toLowerCase()}:`
        : target.protocol !== page.protocol && target.protocol !== 'https:'
    )
      return false;
    const hostname = target.hostname.toLowerCase();
    const hostOk = wildcard ? hostname.endsWith(`.${host.toLowerCase()}`) : hostname === host.toLowerCase();
    const portOk = port === '*' || (port ?? '') === target.port;
    return hostOk && portOk;
  });
}

/** The script and style sheet URLs the page names (resolved against it), and how many scripts it has inline. */
export function parsePage(html: string, pageUrl: URL): { scripts: URL[]; styles: URL[]; inlineScripts: number } {
  const attribute = (tag: string, name: string) =>
    new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i')
      .exec(tag)
      ?.slice(1)
      .find((value) => value !== undefined);
  const scripts: URL[] = [];
  let inlineScripts = 0;
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attribute(tag, 'src');
    if (src) scripts.push(new URL(src, pageUrl));
    else inlineScripts += 1;
  }
  const styles: URL[] = [];
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const href = attribute(tag, 'href');
    if (href && attribute(tag, 'rel')?.toLowerCase().split(/\s+/).includes('stylesheet'))
      styles.push(new URL(href, pageUrl));
  }
  return { scripts, styles, inlineScripts };
}

function preview(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
