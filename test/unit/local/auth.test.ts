import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, base64url, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  authorize,
  loadOrCreateKeys,
  signToken,
  type LocalKeys,
} from '../../../lib/local/auth.js';

/*
 * The local authorizer admits only tokens API Gateway's JWT authorizer for HTTP APIs would admit:
 * an RSA signature by a key of the set that the header's `kid` names, `iss`, `aud` (or `client_id`
 * only when there is no `aud`), `exp`, `nbf` and `iat` checked against the current time, and one
 * of the route's scopes.
 */

let keys: LocalKeys;
let otherKeys: LocalKeys;
let dataDir: string;
const dirs: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  dataDir = await tempDir('off-auth-');
  keys = await loadOrCreateKeys(dataDir);
  otherKeys = await loadOrCreateKeys(await tempDir('off-auth-other-'));
});

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const bearer = (token: string) => `Bearer ${token}`;
const now = () => Math.floor(Date.now() / 1000);

/** A claims set like the local signer's, with `overrides` applied; an override of `undefined` leaves the claim out. */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const all: Record<string, unknown> = {
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    sub: 'tester',
    scope: SCOPES.admin,
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

/** `payload` signed by `key` (the local key unless said) with its algorithm and kid, `header` applied on top. */
function sign(payload: JWTPayload, options: { key?: LocalKeys; header?: Record<string, unknown> } = {}) {
  const key = options.key ?? keys;
  const header = { alg: String(key.publicJwk.alg), kid: key.kid, ...options.header };
  return new SignJWT(payload)
    .setProtectedHeader(
      Object.fromEntries(Object.entries(header).filter(([, value]) => value !== undefined)) as { alg: string },
    )
    .sign(key.privateKey);
}

async function refused(token: string, scopes: string[] = [SCOPES.admin]): Promise<void> {
  expect(await authorize(keys, bearer(token), scopes)).toMatchObject({ ok: false, status: 401 });
}

describe('the local signing key', () => {
  it('is an RSA key used with RS256, whose public half alone is served', () => {
    expect(keys.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: keys.kid });
    expect(keys.publicJwk).not.toHaveProperty('d');
  });

  it('is kept across loads of the same data directory, in a file only its owner can read', async () => {
    const again = await loadOrCreateKeys(dataDir);
    expect(again.kid).toBe(keys.kid);
    const signed = await signToken(keys, { role: 'admin' });
    expect(await authorize(again, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
    expect((await stat(path.join(dataDir, 'local-jwt-key.json'))).mode & 0o777).toBe(0o600);
  });

  it('replaces an EC key left by an earlier release with an RSA key, whose tokens the old ones are not', async () => {
    const oldDir = await tempDir('off-auth-ec-');
    const file = path.join(oldDir, 'local-jwt-key.json');
    const ec = await generateKeyPair('ES256', { extractable: true });
    const old = { kid: 'an-ec-key', private: await exportJWK(ec.privateKey), public: await exportJWK(ec.publicKey) };
    await writeFile(file, JSON.stringify(old), { mode: 0o600 });
    const oldToken = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: old.kid }).sign(ec.privateKey);

    const replaced = await loadOrCreateKeys(oldDir);
    expect(replaced.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(replaced.kid).not.toBe(old.kid);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ kid: replaced.kid, public: { kty: 'RSA' } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateKeys(oldDir)).kid).toBe(replaced.kid);
    expect(await authorize(replaced, bearer(oldToken), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
    const fresh = await signToken(replaced, { role: 'admin' });
    expect(await authorize(replaced, bearer(fresh), [SCOPES.admin])).toMatchObject({ ok: true });
  });
});

describe('the local JWT authorizer', () => {
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

  it('reads the scopes from scp when there is no scope claim', async () => {
    const signed = await sign(claims({ scope: undefined, scp: [SCOPES.service] }));
    expect(await authorize(keys, bearer(signed), [SCOPES.service])).toMatchObject({ ok: true });
  });

  it('answers 403 when the token lacks every scope of the route', async () => {
    const signed = await signToken(keys, { role: 'service' });
    expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: false, status: 403 });
    expect(await authorize(keys, bearer(await sign(claims({ scope: undefined }))), [SCOPES.admin])).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it.each([
    ['no header', undefined],
    ['not a bearer token', 'Basic abc'],
    ['garbage', 'Bearer not-a-jwt'],
  ])('answers 401 for %s', async (_name, header) => {
    expect(await authorize(keys, header, [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
  });

  describe('signature: RSA only, by the key the kid names', () => {
    it('refuses a token without a signature (alg none)', async () => {
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
      await refused(`${encode({ alg: 'none', kid: keys.kid })}.${encode(claims())}.`);
    });

    it('refuses an HMAC token (HS256), even one keyed with the public key', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(keys.publicJwk));
      await refused(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: keys.kid }).sign(secret));
    });

    it('refuses an ES256 token, even from a key the set holds', async () => {
      const ec = await generateKeyPair('ES256', { extractable: true });
      const ecKeys: LocalKeys = {
        kid: 'an-ec-key',
        privateKey: ec.privateKey,
        publicKey: ec.publicKey,
        publicJwk: { ...(await exportJWK(ec.publicKey)), kid: 'an-ec-key', alg: 'ES256', use: 'sig' },
      };
      const signed = await sign(claims(), { key: ecKeys });
      expect(await authorize(ecKeys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: false, status: 401 });
    });

    it('refuses a token signed by another key', async () => {
      await refused(await sign(claims(), { key: otherKeys }));
      await refused(await sign(claims(), { key: otherKeys, header: { kid: keys.kid } }));
    });

    it('refuses a token whose kid names no key of the set, though the signature is good', async () => {
      await refused(await sign(claims(), { header: { kid: 'another-key' } }));
    });

    it('refuses a token without a kid, though the signature is good', async () => {
      await refused(await sign(claims(), { header: { kid: undefined } }));
    });
  });

  describe('issuer and audience', () => {
    it('refuses another issuer, or none', async () => {
      await refused(await sign(claims({ iss: 'https://elsewhere.example' })));
      await refused(await sign(claims({ iss: undefined })));
    });

    it('refuses another audience', async () => {
      await refused(await sign(claims({ aud: 'another-api' })));
      await refused(await sign(claims({ aud: ['another-api'] })));
    });

    it('admits an audience list that holds its audience', async () => {
      const signed = await sign(claims({ aud: ['another-api', LOCAL_AUDIENCE] }));
      expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
    });

    it('refuses a wrong aud even when client_id is right: client_id counts only without aud', async () => {
      await refused(await sign(claims({ aud: 'another-api', client_id: LOCAL_AUDIENCE })));
    });

    it('admits client_id in place of aud when there is no aud, as for access tokens', async () => {
      const signed = await sign(claims({ aud: undefined, client_id: LOCAL_AUDIENCE }));
      expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
    });

    it('refuses a token without aud whose client_id is another, or that has neither', async () => {
      await refused(await sign(claims({ aud: undefined, client_id: 'another-client' })));
      await refused(await sign(claims({ aud: undefined })));
    });
  });

  describe('times (seconds since the epoch, UTC)', () => {
    it('refuses a token without exp', async () => {
      await refused(await sign(claims({ exp: undefined })));
    });

    it('refuses an expired token: exp must be after the current time', async () => {
      await refused(await sign(claims({ exp: now() - 10 })));
      await refused(await sign(claims({ exp: now() })));
    });

    it('refuses a token whose nbf is in the future, and admits one whose nbf has passed', async () => {
      await refused(await sign(claims({ nbf: now() + 60 })));
      const signed = await sign(claims({ nbf: now() - 60 }));
      expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
    });

    it('refuses a token issued in the future: iat must not be after the current time', async () => {
      await refused(await sign(claims({ iat: now() + 60 })));
    });

    it('refuses a token that does not say when it was issued (no iat)', async () => {
      await refused(await sign(claims({ iat: undefined })));
    });

    it('admits a token issued this very second', async () => {
      const signed = await sign(claims({ iat: now() }));
      expect(await authorize(keys, bearer(signed), [SCOPES.admin])).toMatchObject({ ok: true });
    });

    it.each(['exp', 'nbf', 'iat'])('refuses a token whose %s is not a number', async (claim) => {
      await refused(await sign(claims({ [claim]: String(now()) })));
    });
  });

  it('refuses to sign an org token without an org', async () => {
    await expect(signToken(keys, { role: 'org' })).rejects.toThrow(/org id/);
  });
});
