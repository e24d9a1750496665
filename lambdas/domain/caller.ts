import { ForbiddenError } from './errors.js';

/** OAuth scopes that grant each role; the API routes require them and the handlers read them. */
export const SCOPES = {
  admin: 'feature-flags/admin',
  service: 'feature-flags/service',
  org: 'feature-flags/org',
} as const;

export type Role = keyof typeof SCOPES;

/** Who is calling, derived from the verified token only. */
export type Caller =
  | { readonly role: 'admin'; readonly id: string }
  | { readonly role: 'service'; readonly id: string }
  | { readonly role: 'org'; readonly id: string; readonly orgId: string };

/** The token claim that binds an org token to its org. */
export const ORG_CLAIM = 'org_id';

/**
 * Picks the caller's role from its scopes (admin over service over org). An org token without
 * its org claim grants nothing.
 */
export function callerFromToken(scopes: readonly string[], claims: Readonly<Record<string, unknown>>): Caller {
  const id = firstString(claims, ['email', 'cognito:username', 'username', 'client_id', 'sub']) ?? 'unknown';
  if (scopes.includes(SCOPES.admin)) return { role: 'admin', id };
  if (scopes.includes(SCOPES.service)) return { role: 'service', id };
  if (scopes.includes(SCOPES.org)) {
    const orgId = claims[ORG_CLAIM];
    if (typeof orgId !== 'string' || orgId.length === 0) {
      throw new ForbiddenError('forbidden', `An org token must carry the '${ORG_CLAIM}' claim.`);
    }
    return { role: 'org', id, orgId };
  }
  throw new ForbiddenError('forbidden', 'The token has no scope of this service.');
}

/** Whether the caller may see this org at all; an org token sees only its own. */
export function canSeeOrg(caller: Caller, orgId: string): boolean {
  return caller.role !== 'org' || caller.orgId === orgId;
}

/** Whether the caller may see internal-only flags (staff and services do; orgs never). */
export function seesInternalFlags(caller: Caller): boolean {
  return caller.role !== 'org';
}

function firstString(claims: Readonly<Record<string, unknown>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}
