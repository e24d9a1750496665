import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  authorize,
  loadOrCreateKeys,
  signToken,
  type LocalKeys,
} from '../../../lib/local/auth.js';

let keys: LocalKeys;
let otherKeys: LocalKeys;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-auth-'));
  keys = await loadOrCreateKeys(dataDir);
  otherKeys = await loadOrCreateKeys(await mkdtemp(path.join(tmpdir(), 'off-auth-other-')));
});

const bearer = (token: string) => `Bearer ${token}`;

function token(
  claims: Record<string, unknown>,
  overrides: { issuer?: string; audience?: string; expires?: number | string; key?: LocalKeys } = {},
) {
  const key = overrides.key ?? keys;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(overrides.issuer ?? LOCAL_ISSUER)
    .setAudience(overrides.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(overrides.expires ?? '1h')
    .sign(key.privateKey);
}

describe('the local JWT authorizer', () => {
  it('keeps the signing key across loads of the same data directory', async () => {
    const again = await loadOrCreateKeys(dataDir);
    expect(again.kid).toBe(keys.kid);
    const signed = await signToken(keys, { role: 'admin' });
    expect(await authorize(again, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
  });

  it('admits a token with one of the route scopes and passes claims as strings', async () => {
    const signed = await signToken(keys, { role: 'org', orgId: 'acme' });
    const result = await authorize(keys, bearer(signed), [SCOPES.admin, SCOPES.org]);
    expect(result).toMatchObject({
      ok: true,
      scopes: [SCOPES.org],
      claims: { org_id: 'acme', scope: SCOPES.org, iss: LOCAL_ISSUER },
    });
    if (result.ok) expect(typeof result.claims.exp).toBe('string');
  });

  it('answers 403 when the token lacks every scope of the route', async () => {
    const signed = await signToken(keys, { role: 'service' });
    expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['no header', undefined],
    ['not a bearer token', 'Basic abc'],
    ['garbage', 'Bearer not-a-jwt'],
  ])('answers 401 for %s', async (_name, header) => {
    expect(await authorize(keys, header, [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 401 for a token signed by another key', async () => {
    const signed = await token({ scope: SCOPES.admin }, { key: otherKeys });
    expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 401 for an expired token', async () => {
    const signed = await token({ scope: SCOPES.admin }, { expires: Math.floor(Date.now() / 1000) - 10 });
    expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 401 for another issuer or audience', async () => {
    const wrongIssuer = await token({ scope: SCOPES.admin }, { issuer: 'https://elsewhere.example' });
    const wrongAudience = await token({ scope: SCOPES.admin }, { audience: 'another-api' });
    expect(await authorize(keys, bearer(wrongIssuer), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
    expect(await authorize(keys, bearer(wrongAudience), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
  });

  it('accepts client_id in place of aud, as API Gateway does for access tokens', async () => {
    const signed = await new SignJWT({ scope: SCOPES.service, client_id: LOCAL_AUDIENCE })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(LOCAL_ISSUER)
      .setExpirationTime('1h')
      .sign(keys.privateKey);
    expect(await authorize(keys, bearer(signed), [SCOPES.service])).toMatchObject({ ok: true });
  });

  it('refuses to sign an org token without an org', async () => {
    await expect(signToken(keys, { role: 'org' })).rejects.toThrow(/org id/);
  });
});
