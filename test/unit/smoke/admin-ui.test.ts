import { describe, expect, it } from '@jest/globals';
import { cspAllows, parsePage, securityHeaderProblems } from '../../../lib/smoke/admin-ui.js';
import { contentSecurityPolicy } from '../../../lib/stateless/admin-ui.js';

const policy = (text: string) =>
  new Map(
    text
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...sources]) => [name as string, sources]),
  );
const PAGE = new URL('https://d111111abcdef8.cloudfront.net/admin/');

describe('cspAllows', () => {
  const csp = policy(
    contentSecurityPolicy([
      'https://*.execute-api.eu-west-1.amazonaws.com',
      'https://cognito-idp.eu-west-1.amazonaws.com',
    ]),
  );
  const allows = (url: string, page = PAGE) => cspAllows(csp, 'connect-src', new URL(url), page);

  it("matches 'self', exact hosts and leading-label wildcards, on their scheme and default port only", () => {
    expect(allows('https://d111111abcdef8.cloudfront.net/admin/config.json')).toBe(true);
    expect(allows('https://abc123.execute-api.eu-west-1.amazonaws.com/orgs')).toBe(true);
    expect(allows('https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/openid-configuration')).toBe(true);
    expect(allows('https://execute-api.eu-west-1.amazonaws.com/')).toBe(false);
    expect(allows('https://abc123.execute-api.us-east-1.amazonaws.com/')).toBe(false);
    expect(allows('http://abc123.execute-api.eu-west-1.amazonaws.com/')).toBe(false);
    expect(allows('https://abc123.execute-api.eu-west-1.amazonaws.com:8443/')).toBe(false);
    expect(allows('https://evil.example.com/')).toBe(false);
  });

  it('falls back to default-src, and reads scheme-only and port sources', () => {
    const fallback = policy("default-src 'self' https: http://localhost:*");
    expect(cspAllows(fallback, 'connect-src', new URL('https://anything.example.com'), PAGE)).toBe(true);
    expect(cspAllows(fallback, 'connect-src', new URL('http://localhost:3000'), PAGE)).toBe(true);
    expect(cspAllows(fallback, 'connect-src', new URL('http://example.com'), PAGE)).toBe(false);
    expect(
      cspAllows(policy("script-src 'self'"), 'connect-src', new URL('https://d111111abcdef8.cloudfront.net/x'), PAGE),
    ).toBe(false);
  });
});

describe('securityHeaderProblems', () => {
  const good = {
    'content-security-policy': contentSecurityPolicy(['https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com']),
    'strict-transport-security': 'max-age=63072000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  it("accepts the AWS stack's policy", () => {
    expect(securityHeaderProblems(new Headers(good))).toEqual([]);
  });

  it('names each missing or weakened header', () => {
    expect(securityHeaderProblems(new Headers({}))).toEqual([
      'no content-security-policy',
      "strict-transport-security '' (expected max-age of at least a year)",
      'no x-content-type-options: nosniff',
      'no referrer-policy: no-referrer',
    ]);
    const weak = new Headers({
      ...good,
      'content-security-policy':
        "default-src 'self'; script-src 'self' 'unsafe-eval' https:; style-src *; frame-ancestors 'self'",
      'strict-transport-security': 'max-age=600',
    });
    expect(securityHeaderProblems(weak)).toEqual([
      "the CSP allows 'unsafe-eval'",
      "the CSP lacks frame-ancestors 'none'",
      "the CSP's script-src allows any host",
      "the CSP's style-src allows any host",
      "strict-transport-security 'max-age=600' (expected max-age of at least a year)",
    ]);
  });
});

describe('parsePage', () => {
  it('finds the scripts and style sheets the page names, resolved against it, and counts inline scripts', () => {
    const page = parsePage(
      `<link rel="icon" href="data:,"><link href='assets/main-A.css' rel="stylesheet"><script type="module" src="assets/main-B.js"></script><script>x()</script>`,
      PAGE,
    );
    expect(page.scripts.map(String)).toEqual(['https://d111111abcdef8.cloudfront.net/admin/assets/main-B.js']);
    expect(page.styles.map(String)).toEqual(['https://d111111abcdef8.cloudfront.net/admin/assets/main-A.css']);
    expect(page.inlineScripts).toBe(1);
  });
});
