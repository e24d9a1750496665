import { ForbiddenError } from './errors.js';

/** OAuth scopes that grant each role; the API routes require them and the handlers read them. */
export const SCOPES = {
  admin: 'feature-flags/admin',
  service: 'feature-flags/service',
  org: 'feature-flags/org',
} as const;

export type Role = keyof typeof SCOPES;

/**
 * Who is calling, derived from the verified token only. `id` is the token's stable subject (`sub`,
 * or `client_id` for a machine token), which audit records keep; `email`, when the token has one,
 * is kept beside it for display only.
 */
export type Caller = (
  { readonly role: 'admin' } | { readonly role: 'service' } | { readonly role: 'org'; readonly orgId: string }
) & { readonly id: string; readonly email?: string };

/** The token claim that binds an org token to its org. */
export const ORG_CLAIM = 'org_id';

/**
 * Picks the caller's role from its scopes (admin over service over org). An org token without
 * its org claim grants nothing.
 */
export function callerFromToken(scopes: readonly string[], claims: Readonly<Record<string, unknown>>): Caller {
  const id = firstString(claims, ['sub', 'client_id']) ?? 'unknown';
  const email = firstString(claims, ['email']);
  const who = email ? { id, email } : { id };
  if (scopes.includes(SCOPES.admin)) return { role: 'admin', ...who };
  if (scopes.includes(SCOPES.service)) return { role: 'service', ...who };
  if (scopes.includes(SCOPES.org)) {
    const orgId = claims[ORG_CLAIM];
    if (typeof orgId !== 'string' || orgId.length === 0) {
      throw new ForbiddenError('forbidden', `An org token must carry the '${ORG_CLAIM}' claim.`);
    }
    return { role: 'org', ...who, orgId };
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
