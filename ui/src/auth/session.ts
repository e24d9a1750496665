import { callerFromToken, type Caller } from '../../../lambdas/domain/caller.js';

/** Who is signed in: the bearer token the API gets, and what the API will make of it. */
export interface Session {
  readonly token: string;
  /** When the token expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** The caller the API derives from the token, or why it admits none. */
  readonly caller:
    Caller | { readonly role: 'none'; readonly id: string; readonly email?: string; readonly reason: string };
}

/** The token's claims, read without verification: the API verifies, the UI only shows and routes. */
export function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('The token is not a JWT.');
  const base64 = payload
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(payload.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof claims !== 'object' || claims === null) throw new Error('The token has no claims.');
  return claims as Record<string, unknown>;
}

/** Scopes as API Gateway's JWT authorizer reads them: `scope` (space separated) or `scp`. */
function scopesOf(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/**
 * A session from a bearer token. The role is decided from the access token's claims alone, exactly
 * as the API decides it; `profile` (an OIDC provider puts the email in the ID token) only adds an
 * email to show when the access token has none.
 */
export function sessionFromToken(token: string, profile: Readonly<Record<string, unknown>> = {}): Session {
  const claims = decodeClaims(token);
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
  const shownEmail = typeof profile.email === 'string' && profile.email !== '' ? { email: profile.email } : {};
  let caller: Session['caller'];
  try {
    const derived = callerFromToken(scopesOf(claims), claims);
    caller = derived.email ? derived : { ...derived, ...shownEmail };
  } catch (error) {
    const email = typeof claims.email === 'string' && claims.email !== '' ? { email: claims.email } : shownEmail;
    caller = {
      role: 'none',
      id: typeof claims.sub === 'string' ? claims.sub : 'unknown',
      reason: error instanceof Error ? error.message : String(error),
      ...email,
    };
  }
  return { token, expiresAt: exp, caller };
}

/** Whether the token has expired (or will within `marginMs`). */
export function isExpired(session: Session, now = Date.now(), marginMs = 0): boolean {
  return session.expiresAt - marginMs <= now;
}

/** The name to show for the signed-in person: the email when the token has one, else the subject. */
export function displayName(session: Session): string {
  return session.caller.email ?? session.caller.id;
}
