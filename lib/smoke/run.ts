import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ADMIN_UI_CHECK_NAMES, runAdminUiChecks, type AdminUiCheckName } from './admin-ui.js';
import { createSmokeHttp, normalizeBaseUrl, type SmokeResponse } from './http.js';

/** The org every run provisions and toggles unless told otherwise, so a stage holds at most one smoke org. */
export const DEFAULT_ORG_ID = 'smoke-test';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The checks, in the order they run. */
export const CHECK_NAMES = [
  'health',
  'registry',
  'auth-no-token',
  'auth-garbage-token',
  'auth-bad-signature',
  'provision',
  'org-flags',
  'toggle-flip',
  'toggle-read-back',
  'toggle-restore',
  'reject-unknown-flag',
  'reject-malformed-json',
  'reject-unknown-org',
] as const;

export { ADMIN_UI_CHECK_NAMES };

export type CheckName = (typeof CHECK_NAMES)[number] | AdminUiCheckName;

export interface SmokeOptions {
  /** Base URL of the API, with the stage path if any; trailing slashes are ignored. */
  readonly url: string;
  /** A platform admin token. */
  readonly token: string;
  readonly orgId?: string;
  /** Per request. */
  readonly timeoutMs?: number;
  /** The admin UI's page (`https://<domain>/admin/`): its checks run after the API's when given. */
  readonly uiUrl?: string;
  /** Receives one line per check as it finishes, then the summary line. */
  readonly log?: (line: string) => void;
}

export interface CheckResult {
  readonly name: CheckName;
  readonly ok: boolean;
  readonly ms: number;
  /** Why it failed; absent when it passed. */
  readonly reason?: string;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly CheckResult[];
}

/** A check's expectation that did not hold; its message is the reason printed. */
class CheckFailure extends Error {}

const definitionSchema = z.object({ key: z.string().min(1), internal_only: z.boolean() });
const registrySchema = z.object({
  registry_version: z.string().min(1),
  flags: z.array(definitionSchema).min(1, 'the registry lists no flags'),
});
const mergedFlagSchema = z.object({
  key: z.string(),
  user_enabled: z.boolean(),
  internal_only: z.boolean(),
  from_registry: z.unknown(),
  is_default: z.boolean(),
  version: z.number().int().nonnegative(),
});
type MergedFlag = z.infer<typeof mergedFlagSchema>;
const orgFlagsSchema = z.object({ org_id: z.string(), flags: z.array(mergedFlagSchema) });
const provisionSchema = z.object({ org_id: z.string(), provisioned: z.boolean() });
const setFlagSchema = z.object({ org_id: z.string(), changed: z.boolean(), flag: mergedFlagSchema });
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** `ok   <name> (12 ms)` or `FAIL <name>: <reason>`. */
export function formatResult(result: CheckResult): string {
  return result.ok ? `ok   ${result.name} (${result.ms} ms)` : `FAIL ${result.name}: ${result.reason ?? 'failed'}`;
}

export function formatSummary(report: Pick<SmokeReport, 'passed' | 'failed'>): string {
  return `smoke: ${report.passed} passed, ${report.failed} failed`;
}

/**
 * Runs every check against a running instance with an admin token. Never throws: a network error,
 * timeout or unexpected answer fails that check only. Writes only to `orgId`: provisions it when
 * it does not exist yet, and flips one non-internal flag and flips it back, so the org ends as it began.
 * With `uiUrl`, the admin UI's checks follow (they only read).
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const { token, orgId = DEFAULT_ORG_ID, timeoutMs = DEFAULT_TIMEOUT_MS, log = () => {} } = options;
  const http = createSmokeHttp(options.url, timeoutMs);
  const orgPath = `/org-feature-flags/${encodeURIComponent(orgId)}`;
  const results: CheckResult[] = [];

  const check = async (name: CheckName, run: () => Promise<void>): Promise<boolean> => {
    const started = performance.now();
    let result: CheckResult;
    try {
      await run();
      result = { name, ok: true, ms: Math.round(performance.now() - started) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      result = { name, ok: false, ms: Math.round(performance.now() - started), reason: oneLine(reason) };
    }
    results.push(result);
    log(formatResult(result));
    return result.ok;
  };

  log(
    `smoke: ${normalizeBaseUrl(options.url)}${options.uiUrl ? `, admin UI ${options.uiUrl}` : ''}, org ${orgId}, timeout ${timeoutMs} ms`,
  );

  await check('health', async () => {
    const response = await http.request('GET', '/health');
    expectStatus(response, 200);
    if (!z.object({ status: z.literal('ok') }).safeParse(response.json).success)
      throw new CheckFailure(`expected {status:'ok'}${preview(response)}`);
  });

  let registry: z.infer<typeof registrySchema> | undefined;
  await check('registry', async () => {
    const response = await http.request('GET', '/feature-flags', { token });
    expectStatus(response, 200);
    registry = parse(registrySchema, response);
  });

  await check('auth-no-token', async () => {
    expectStatus(await http.request('GET', '/feature-flags'), 401);
  });
  await check('auth-garbage-token', async () => {
    expectStatus(await http.request('GET', '/feature-flags', { token: `smoke-garbage-${randomUUID()}` }), 401);
  });
  await check('auth-bad-signature', async () => {
    // The admin token's own header and claims under a made-up signature: proves the signature is checked.
    const [header, payload] = token.split('.');
    if (!header || !payload) throw new CheckFailure('the token is not a JWT (header.payload.signature)');
    expectStatus(
      await http.request('GET', '/feature-flags', {
        token: `${header}.${payload}.${randomBytes(64).toString('base64url')}`,
      }),
      401,
    );
  });

  await check('provision', async () => {
    const response = await http.request('POST', `/orgs/${encodeURIComponent(orgId)}/provision`, { token });
    expectStatus(response, 201, 200);
    const body = parse(provisionSchema, response);
    if (body.org_id !== orgId) throw new CheckFailure(`answered for org '${body.org_id}', not '${orgId}'`);
    if (body.provisioned !== (response.status === 201)) {
      throw new CheckFailure(`status ${response.status} with provisioned: ${body.provisioned}`);
    }
  });

  let orgFlags: MergedFlag[] | undefined;
  await check('org-flags', async () => {
    if (!registry) throw new CheckFailure('not run: needs the registry check');
    const flags = await readOrgFlags();
    const expected = registry.flags.map((flag) => flag.key);
    const actual = flags.map((flag) => flag.key);
    if (actual.join('\n') !== expected.join('\n')) {
      throw new CheckFailure(
        `keys [${actual.join(', ')}] are not the registry's, once each in order: [${expected.join(', ')}]`,
      );
    }
    const notFromRegistry = flags.filter((flag) => flag.from_registry !== true).map((flag) => flag.key);
    if (notFromRegistry.length > 0)
      throw new CheckFailure(`from_registry is not true for ${notFromRegistry.join(', ')}`);
    orgFlags = flags;
  });

  // The toggle: flip one non-internal flag with its version as precondition, read it back, flip it back.
  let target: MergedFlag | undefined;
  /** What the flip did: nothing yet, refused (nothing written), applied (at `flippedVersion`), or unknown (no clear answer). */
  let flip: 'not-run' | 'refused' | 'applied' | 'unknown' = 'not-run';
  let flippedVersion = 0;

  await check('toggle-flip', async () => {
    if (!orgFlags) throw new CheckFailure('not run: needs the org-flags check');
    // Prefer a flag with a row of its own, so the run does not create one.
    target =
      orgFlags.find((flag) => !flag.internal_only && !flag.is_default) ?? orgFlags.find((flag) => !flag.internal_only);
    if (!target) throw new CheckFailure('the registry has no non-internal flag to toggle');
    flip = 'unknown';
    const response = await http.request('POST', '/org-feature-flags', {
      token,
      body: JSON.stringify({ org_id: orgId, key: target.key, enabled: !target.user_enabled, version: target.version }),
    });
    if (response.status >= 400 && response.status < 500) flip = 'refused';
    expectStatus(response, 200);
    const { changed, flag } = parse(setFlagSchema, response);
    if (changed) {
      flip = 'applied';
      flippedVersion = flag.version;
    } else {
      flip = 'refused';
    }
    expectFlag(flag, target.key, !target.user_enabled, changed);
  });

  await check('toggle-read-back', async () => {
    if (!target || flip !== 'applied') throw new CheckFailure('not run: needs the toggle-flip check');
    const key = target.key;
    const flag = (await readOrgFlags()).find((candidate) => candidate.key === key);
    if (!flag) throw new CheckFailure(`'${key}' is missing from the org's flags`);
    if (flag.user_enabled !== !target.user_enabled)
      throw new CheckFailure(`'${key}' reads ${flag.user_enabled} after being set to ${!target.user_enabled}`);
    if (flag.version !== flippedVersion)
      throw new CheckFailure(`'${key}' reads version ${flag.version}, the write returned ${flippedVersion}`);
  });

  await check('toggle-restore', async () => {
    if (!target || flip === 'not-run') throw new CheckFailure('not run: needs the toggle-flip check');
    const { key, user_enabled: original } = target;
    let version = flippedVersion;
    if (flip !== 'applied') {
      // The flip was refused or its outcome is unknown: set the flag back only if it did move.
      const current = (await readOrgFlags()).find((candidate) => candidate.key === key);
      if (!current) throw new CheckFailure(`'${key}' is missing from the org's flags`);
      if (current.user_enabled === original) {
        throw new CheckFailure(`not run: the flip did not apply; '${key}' is at its original value (${original})`);
      }
      version = current.version;
    }
    const response = await http.request('POST', '/org-feature-flags', {
      token,
      body: JSON.stringify({ org_id: orgId, key, enabled: original, version }),
    });
    expectStatus(response, 200);
    const { changed, flag } = parse(setFlagSchema, response);
    expectFlag(flag, key, original, changed);
  });

  await check('reject-unknown-flag', async () => {
    const response = await http.request('POST', '/org-feature-flags', {
      token,
      body: JSON.stringify({
        org_id: orgId,
        key: `smoke-no-such-flag-${randomBytes(4).toString('hex')}`,
        enabled: true,
      }),
    });
    expectError(response, 400, 'unknown_flag');
  });
  await check('reject-malformed-json', async () => {
    expectError(await http.request('POST', '/org-feature-flags', { token, body: '{"org_id":' }), 400, 'malformed_json');
  });
  await check('reject-unknown-org', async () => {
    // A random id, only read: nothing is created for it.
    const response = await http.request('GET', `/org-feature-flags/smoke-missing-${randomBytes(8).toString('hex')}`, {
      token,
    });
    expectError(response, 404, 'org_not_found');
  });

  if (options.uiUrl) await runAdminUiChecks(check, { uiUrl: options.uiUrl, apiUrl: options.url, timeoutMs });

  const passed = results.filter((result) => result.ok).length;
  const report: SmokeReport = { ok: passed === results.length, passed, failed: results.length - passed, results };
  log(formatSummary(report));
  return report;

  async function readOrgFlags(): Promise<MergedFlag[]> {
    const response = await http.request('GET', orgPath, { token });
    expectStatus(response, 200);
    const body = parse(orgFlagsSchema, response);
    if (body.org_id !== orgId) throw new CheckFailure(`answered for org '${body.org_id}', not '${orgId}'`);
    return body.flags;
  }
}

function expectStatus(response: SmokeResponse, ...expected: number[]): void {
  if (!expected.includes(response.status)) {
    throw new CheckFailure(`expected ${expected.join(' or ')}, got ${response.status}${preview(response)}`);
  }
}

/** A 4xx error in the API's shape: the status, a JSON body, `{ error: { code, message } }` with the code. */
function expectError(response: SmokeResponse, status: number, code: string): void {
  expectStatus(response, status);
  if (!/json/i.test(response.contentType))
    throw new CheckFailure(`content-type '${response.contentType}' is not JSON${preview(response)}`);
  const body = errorSchema.safeParse(response.json);
  if (!body.success) throw new CheckFailure(`not a {error:{code,message}} body${preview(response)}`);
  if (body.data.error.code !== code) throw new CheckFailure(`error code '${body.data.error.code}', expected '${code}'`);
}

function expectFlag(flag: MergedFlag, key: string, enabled: boolean, changed: boolean): void {
  if (flag.key !== key) throw new CheckFailure(`answered for flag '${flag.key}', not '${key}'`);
  if (!changed) throw new CheckFailure(`changed: false setting '${key}' to ${enabled}; it already held that value`);
  if (flag.user_enabled !== enabled)
    throw new CheckFailure(`'${key}' is ${flag.user_enabled} after being set to ${enabled}`);
}

function parse<T>(schema: z.ZodType<T>, response: SmokeResponse): T {
  const parsed = schema.safeParse(response.json);
  if (parsed.success) return parsed.data;
  throw new CheckFailure(`unexpected body (${z.prettifyError(parsed.error)})${preview(response)}`);
}

/** The start of a response body, for a failure's reason. */
function preview(response: SmokeResponse): string {
  const text = oneLine(response.text);
  if (text === '') return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
