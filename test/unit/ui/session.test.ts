import { describe, expect, it } from '@jest/globals';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import { sessionFromToken } from '../../../ui/src/auth/session.js';

/** A JWT's shape with the given claims; the UI reads claims without verifying (the API verifies). */
const tokenWith = (claims: Record<string, unknown>) =>
  [{ alg: 'RS256', typ: 'JWT' }, claims, 'signature']
    .map((part) => (typeof part === 'string' ? part : Buffer.from(JSON.stringify(part)).toString('base64url')))
    .join('.');

const exp = Math.floor(Date.parse('2030-01-01T00:00:00Z') / 1000);

describe('sessionFromToken', () => {
  it('does not admit an access token with a staff scope and an org_id claim, as the API refuses it', () => {
    for (const scope of [SCOPES.admin, SCOPES.service, `${SCOPES.org} ${SCOPES.admin}`]) {
      const session = sessionFromToken(tokenWith({ sub: 'ada', scope, org_id: 'acme', exp }));
      expect(session.caller).toEqual({ role: 'none', id: 'ada', reason: expect.stringContaining('org_id') });
    }
  });

  it("decides the role from the access token alone: the ID token's claims are for display", () => {
    const session = sessionFromToken(tokenWith({ sub: 'ada', scope: SCOPES.admin, exp }), {
      sub: 'ada',
      email: 'ada@example.com',
      org_id: 'acme',
    });
    expect(session.caller).toEqual({ role: 'admin', id: 'ada', email: 'ada@example.com' });
    expect(session.expiresAt).toBe(exp * 1000);
  });

  it("binds an org token to the access token's org_id, not the ID token's", () => {
    const own = sessionFromToken(tokenWith({ sub: 'bob', scope: SCOPES.org, org_id: 'acme', exp }), {
      org_id: 'globex',
    });
    expect(own.caller).toEqual({ role: 'org', id: 'bob', orgId: 'acme' });
    const unbound = sessionFromToken(tokenWith({ sub: 'bob', scope: SCOPES.org, exp }), { org_id: 'globex' });
    expect(unbound.caller).toMatchObject({ role: 'none', id: 'bob' });
  });

  it("shows the access token's email over the ID token's", () => {
    const session = sessionFromToken(tokenWith({ sub: 'ada', scope: SCOPES.service, email: 'ada@work.example' }), {
      email: 'ada@idp.example',
    });
    expect(session.caller).toEqual({ role: 'service', id: 'ada', email: 'ada@work.example' });
  });
});
