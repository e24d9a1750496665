/**
 * CORS of the HTTP API, declared once for the CDK stack (API Gateway answers preflights) and the
 * local gateway (`lib/local/server.ts`), which answers them the same way: what a browser page on
 * an allowed origin may send (the token, JSON bodies, the version preconditions of writes and the
 * ETag of OpenFeature's bulk evaluation) and read (the ETag).
 */
export const CORS = {
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match'],
  exposeHeaders: ['etag'],
  maxAgeSeconds: 3600,
} as const;

/**
 * The CORS headers API Gateway adds for a request from `origin`: none when the origin is not
 * allowed (`*` allows any); for a preflight, what may be sent and for how long; otherwise what the
 * page may read.
 */
export function corsHeaders(
  origin: string | undefined,
  allowOrigins: readonly string[],
  preflight: boolean,
): Record<string, string> {
  if (origin === undefined || !(allowOrigins.includes('*') || allowOrigins.includes(origin))) return {};
  const allow = { 'access-control-allow-origin': allowOrigins.includes('*') ? '*' : origin, vary: 'origin' };
  if (!preflight) return { ...allow, 'access-control-expose-headers': CORS.exposeHeaders.join(',') };
  return {
    ...allow,
    'access-control-allow-methods': CORS.allowMethods.join(','),
    'access-control-allow-headers': CORS.allowHeaders.join(','),
    'access-control-max-age': String(CORS.maxAgeSeconds),
  };
}
