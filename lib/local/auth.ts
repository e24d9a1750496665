import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  errors as joseErrors,
  type JWK,
  type JWTPayload,
} from 'jose';
import { ORG_CLAIM, SCOPES, type Role } from '../../lambdas/domain/caller.js';

/** Issuer and audience of local tokens; the deployed stack takes its own from stage config. */
export const LOCAL_ISSUER = 'urn:org-feature-flags:local';
export const LOCAL_AUDIENCE = 'org-feature-flags';
/** API Gateway's JWT authorizer verifies RSA signatures only; the local key is RSA, used with RS256 alone. */
const ALG = 'RS256';
const KEY_FILE = 'local-jwt-key.json';

type Key = Awaited<ReturnType<typeof importJWK>>;

/** The local stack's signing key: signs tokens for the token command and verifies requests. */
export interface LocalKeys {
  readonly kid: string;
  readonly privateKey: Key;
  readonly publicKey: Key;
  readonly publicJwk: JWK;
}

interface StoredKey {
  kid: string;
  private: JWK;
  public: JWK;
}

/**
 * Loads the signing key from `<dataDir>/local-jwt-key.json`, creating it on first use. A key
 * that is not RSA (the EC key of earlier releases) is replaced by a new one: tokens it signed
 * stop working.
 */
export async function loadOrCreateKeys(dataDir: string, log?: (line: string) => void): Promise<LocalKeys> {
  const file = path.join(dataDir, KEY_FILE);
  let stored: StoredKey | undefined;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as StoredKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stored?.public?.kty !== 'RSA') {
    if (stored) log?.(`[auth] ${file} holds no RSA key; replacing it with a new RSA key (RS256)`);
    stored = await createKey(dataDir, file);
  }
  return {
    kid: stored.kid,
    privateKey: await importJWK(stored.private, ALG),
    publicKey: await importJWK(stored.public, ALG),
    publicJwk: { ...stored.public, kid: stored.kid, alg: ALG, use: 'sig' },
  };
}

async function createKey(dataDir: string, file: string): Promise<StoredKey> {
  const pair = await generateKeyPair(ALG, { extractable: true });
  const stored = {
    kid: randomUUID(),
    private: await exportJWK(pair.privateKey),
    public: await exportJWK(pair.publicKey),
  };
  await mkdir(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(stored), { mode: 0o600 });
  await rename(temp, file);
  return stored;
}

/** What a local token is for. */
export interface TokenRequest {
  readonly role: Role;
  readonly orgId?: string;
  readonly subject?: string;
  /** Kept by the API beside the subject, for display (`updated_by_email`). */
  readonly email?: string;
  readonly expiresIn?: string;
}

/** Signs a token like the identity provider would: scope for the role, `org_id` for org tokens. */
export async function signToken(keys: LocalKeys, request: TokenRequest): Promise<string> {
  if (request.role === 'org' && !request.orgId) throw new Error('An org token needs an org id (--org ORG_ID).');
  const claims: JWTPayload = {
    scope: SCOPES[request.role],
    ...(request.orgId ? { [ORG_CLAIM]: request.orgId } : {}),
    ...(request.email ? { email: request.email } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: keys.kid, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject(request.subject ?? `local-${request.role}${request.orgId ? `-${request.orgId}` : ''}`)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? '12h')
    .setJti(randomUUID())
    .sign(keys.privateKey);
}

/** Outcome of the authorizer: the verified claims and scopes, or the status API Gateway answers. */
export type AuthorizerResult =
  | { readonly ok: true; readonly claims: Record<string, string>; readonly scopes: string[] }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/**
 * Mirrors API Gateway's JWT authorizer for HTTP APIs, so that a token admitted here is one AWS
 * admits: a bearer token in `Authorization`; an RSA signature (RS256) by the key of the set that
 * the header's `kid` names; `iss`; `aud`, or `client_id` only when the token has no `aud`; `exp`
 * present and after now; `nbf`, when present, not after now; `iat` present and not after now (AWS
 * checks it; whether it may be absent it does not say, so here it may not); and at least one of the
 * route's scopes from `scope` or `scp` (401 for a bad token, 403 for a missing scope). No clock
 * skew is allowed. Claims reach the handler as strings, the way API Gateway passes them.
 */
export async function authorize(
  keys: LocalKeys,
  authorization: string | undefined,
  requiredScopes: readonly string[],
): Promise<AuthorizerResult> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return { ok: false, status: 401, reason: 'missing bearer token' };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      match[1],
      (header) => {
        if (header.kid !== keys.kid) throw new joseErrors.JWKSNoMatchingKey("the token's kid names no key of the set");
        return keys.publicKey;
      },
      { issuer: LOCAL_ISSUER, algorithms: [ALG], requiredClaims: ['exp', 'iat'], clockTolerance: 0 },
    ));
  } catch (error) {
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid token';
    return { ok: false, status: 401, reason };
  }
  if (payload.iat! > Math.floor(Date.now() / 1000)) return { ok: false, status: 401, reason: 'issued in the future' };
  const audience = Object.hasOwn(payload, 'aud') ? payload.aud : payload.client_id;
  if (![audience].flat().includes(LOCAL_AUDIENCE)) return { ok: false, status: 401, reason: 'audience mismatch' };
  const scopes = scopesOf(payload);
  if (requiredScopes.length > 0 && !requiredScopes.some((scope) => scopes.includes(scope))) {
    return { ok: false, status: 403, reason: 'insufficient scope' };
  }
  const claims = Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
  return { ok: true, claims, scopes };
}

function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}
