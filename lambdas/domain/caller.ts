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
 * Picks the caller's role from its scopes (admin over service over org). Refused (403): a token
 * that names no one (no `sub`, no `client_id`), so that every write records who made it; an org
 * token without its org claim; and a token with a staff scope that also names an org, which is
 * either an org user's token given a staff scope by mistake or a staff token bound to an org by
 * mistake, and wrong to act on either way.
 */
export function callerFromToken(scopes: readonly string[], claims: Readonly<Record<string, unknown>>): Caller {
  const id = firstString(claims, ['sub', 'client_id']);
  if (id === undefined) {
    throw new ForbiddenError(
      'forbidden',
      "The token names no one: it has neither a 'sub' nor a 'client_id' claim, which is what the service records as who acted.",
    );
  }
  const email = firstString(claims, ['email']);
  const who = email ? { id, email } : { id };
  const staff = scopes.includes(SCOPES.admin) ? 'admin' : scopes.includes(SCOPES.service) ? 'service' : undefined;
  if (staff) {
    const orgId = claims[ORG_CLAIM];
    if (orgId !== undefined && orgId !== null && orgId !== '') {
      throw new ForbiddenError(
        'ambiguous_role',
        `The token has the staff scope '${SCOPES[staff]}' and also an '${ORG_CLAIM}' claim; a token is either staff or bound to one org, never both.`,
      );
    }
    return { role: staff, ...who };
  }
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
