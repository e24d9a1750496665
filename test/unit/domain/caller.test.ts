import { describe, expect, it } from '@jest/globals';
import { SCOPES, callerFromToken, canSeeOrg, seesInternalFlags, type Caller } from '../../../lambdas/domain/caller.js';
import { ForbiddenError } from '../../../lambdas/domain/errors.js';

const ADMIN = 'feature-flags/admin';
const SERVICE = 'feature-flags/service';
const ORG = 'feature-flags/org';

describe('SCOPES', () => {
  it('are the OAuth scopes tokens carry', () => {
    expect(SCOPES).toEqual({ admin: ADMIN, service: SERVICE, org: ORG });
  });
});

describe('callerFromToken', () => {
  const claims = { sub: 'subject-1', org_id: 'acme' };

  describe('role precedence', () => {
    const staff = { sub: 'subject-1' };

    it('makes a token with the admin scope and no org_id claim an admin, whatever other scopes it carries', () => {
      expect(callerFromToken([ORG, SERVICE, ADMIN], staff)).toEqual({ role: 'admin', id: 'subject-1' });
      expect(callerFromToken([ADMIN], staff).role).toBe('admin');
    });

    it('makes a token with the service scope, no admin scope and no org_id claim a service', () => {
      expect(callerFromToken([ORG, SERVICE], staff)).toEqual({ role: 'service', id: 'subject-1' });
    });

    it('makes a token with only the org scope an org caller bound to its org_id claim', () => {
      expect(callerFromToken([ORG], claims)).toEqual({ role: 'org', id: 'subject-1', orgId: 'acme' });
    });

    it('ignores scopes of other services', () => {
      expect(callerFromToken(['openid', 'billing/admin', ORG], claims).role).toBe('org');
    });
  });

  describe('an org token', () => {
    it.each([
      ['no org_id claim', { sub: 'subject-1' }],
      ['an empty org_id claim', { sub: 'subject-1', org_id: '' }],
      ['a non-string org_id claim', { sub: 'subject-1', org_id: 42 }],
    ])('with %s is forbidden', (_label, tokenClaims) => {
      expect(() => callerFromToken([ORG], tokenClaims)).toThrow(ForbiddenError);
    });

    it('without org_id is a 403 naming the claim', () => {
      try {
        callerFromToken([ORG], { sub: 'subject-1' });
        throw new Error('expected callerFromToken to throw');
      } catch (error) {
        expect(error).toBeInstanceOf(ForbiddenError);
        expect((error as ForbiddenError).status).toBe(403);
        expect((error as ForbiddenError).message).toContain('org_id');
      }
    });
  });

  describe('a token with a staff scope and an org_id claim', () => {
    it.each([
      ['admin', [ADMIN]],
      ['service', [SERVICE]],
      ['admin and org', [ORG, ADMIN]],
      ['service and org', [SERVICE, ORG]],
      ['every', [ORG, SERVICE, ADMIN]],
    ])('is refused with 403 ambiguous_role: %s scope(s)', (_label, scopes) => {
      const refusal = (() => {
        try {
          callerFromToken(scopes, claims);
        } catch (error) {
          return error;
        }
        throw new Error('expected callerFromToken to throw');
      })();
      expect(refusal).toBeInstanceOf(ForbiddenError);
      expect(refusal).toMatchObject({ status: 403, code: 'ambiguous_role' });
      expect((refusal as ForbiddenError).message).toContain('org_id');
    });

    it.each([
      ['a number', 42],
      ['an object', { id: 'acme' }],
    ])('is refused whatever the claim holds: %s', (_label, orgId) => {
      expect(() => callerFromToken([ADMIN], { sub: 'subject-1', org_id: orgId })).toThrow(
        expect.objectContaining({ code: 'ambiguous_role' }),
      );
    });

    it('is not refused for an empty org_id claim, which names no org', () => {
      expect(callerFromToken([ADMIN], { sub: 'subject-1', org_id: '' })).toEqual({ role: 'admin', id: 'subject-1' });
    });
  });

  describe('a token with no scope of this service', () => {
    it.each([
      ['no scopes', []],
      ['only foreign scopes', ['openid', 'profile', 'billing/admin']],
      ['a scope that only resembles ours', ['feature-flags/admins', 'FEATURE-FLAGS/ADMIN', 'feature-flags']],
    ])('is forbidden: %s', (_label, scopes) => {
      expect(() => callerFromToken(scopes, claims)).toThrow(ForbiddenError);
    });
  });

  describe('caller id', () => {
    it('is the stable subject, never the email or username', () => {
      const caller = callerFromToken([ADMIN], { email: 'alice@example.com', username: 'alice', sub: 's-1' });
      expect(caller.id).toBe('s-1');
      expect(caller.email).toBe('alice@example.com');
    });

    it('is the client id of a machine token without sub', () => {
      expect(callerFromToken([SERVICE], { client_id: 'billing-service', username: 'x' })).toEqual({
        role: 'service',
        id: 'billing-service',
      });
    });

    it('carries no email when the token has none', () => {
      expect('email' in callerFromToken([SERVICE], { sub: 's-1' })).toBe(false);
    });

    it('skips empty and non-string claims', () => {
      expect(callerFromToken([ADMIN], { email: '', client_id: 7, sub: 's-1' })).toEqual({ role: 'admin', id: 's-1' });
    });

    it.each([
      ['no sub and no client_id', {}],
      ['empty ones', { sub: '', client_id: '' }],
      ['only names that can change or be reused', { email: 'alice@example.com', username: 'alice' }],
    ])('refuses a token that names nobody it could record (%s) with 403', (_label, tokenClaims) => {
      for (const scopes of [[ADMIN], [SERVICE]]) {
        expect(() => callerFromToken(scopes, tokenClaims)).toThrow(
          expect.objectContaining({ status: 403, code: 'forbidden', message: expect.stringContaining('sub') }),
        );
      }
      expect(() => callerFromToken([ORG], { ...tokenClaims, org_id: 'acme' })).toThrow(ForbiddenError);
    });
  });
});

describe('canSeeOrg', () => {
  const admin: Caller = { role: 'admin', id: 'alice' };
  const service: Caller = { role: 'service', id: 'svc' };
  const org: Caller = { role: 'org', id: 'bob', orgId: 'acme' };

  it('lets admins and services see every org', () => {
    for (const caller of [admin, service]) {
      expect(canSeeOrg(caller, 'acme')).toBe(true);
      expect(canSeeOrg(caller, 'globex')).toBe(true);
    }
  });

  it('lets an org caller see its own org only', () => {
    expect(canSeeOrg(org, 'acme')).toBe(true);
    expect(canSeeOrg(org, 'globex')).toBe(false);
  });

  it('compares org ids exactly', () => {
    expect(canSeeOrg(org, 'ACME')).toBe(false);
    expect(canSeeOrg(org, 'acme-2')).toBe(false);
    expect(canSeeOrg(org, '')).toBe(false);
  });
});

describe('seesInternalFlags', () => {
  it('is true for admins and services and false for org callers', () => {
    expect(seesInternalFlags({ role: 'admin', id: 'alice' })).toBe(true);
    expect(seesInternalFlags({ role: 'service', id: 'svc' })).toBe(true);
    expect(seesInternalFlags({ role: 'org', id: 'bob', orgId: 'acme' })).toBe(false);
  });
});
