import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ErrorCode,
  FlagNotFoundError,
  GeneralError,
  InvalidContextError,
  OpenFeature,
  ProviderEvents,
  StandardResolutionReasons,
  TargetingKeyMissingError,
  TypeMismatchError,
  type Logger,
} from '@openfeature/server-sdk';
import { OrgFeatureFlagsProvider, type OrgFeatureFlagsProviderOptions } from '../../provider/src/provider.js';
import {
  REGISTRY_VERSION,
  TOKEN,
  delay,
  recordingLogger,
  startFakeService,
  waitFor,
  type FakeService,
  type RecordingLogger,
} from './ofrep-server.js';

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} };

let service: FakeService;
let log: RecordingLogger;
const providers: OrgFeatureFlagsProvider[] = [];

function provider(options: Partial<OrgFeatureFlagsProviderOptions> = {}): OrgFeatureFlagsProvider {
  const created = new OrgFeatureFlagsProvider({ baseUrl: service.url, token: TOKEN, logger: log, ...options });
  providers.push(created);
  return created;
}

function evaluate(target: OrgFeatureFlagsProvider, orgId: string | undefined, key = 'chat') {
  return target.resolveBooleanEvaluation(key, false, orgId === undefined ? {} : { targetingKey: orgId }, silent);
}

beforeEach(async () => {
  service = await startFakeService({
    acme: { chat: { value: true, own: true, version: 3 }, export: { value: false } },
    globex: { chat: { value: false }, export: { value: true, own: true } },
  });
  log = recordingLogger();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((created) => created.onClose()));
  await service.stop();
});

describe('first evaluation of an org', () => {
  it('makes one request for 100 concurrent evaluations and answers the service reason, variant and metadata', async () => {
    const target = provider();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) => evaluate(target, 'acme', index % 2 === 0 ? 'chat' : 'export')),
    );
    expect(service.requests).toHaveLength(1);
    expect(target.stats()).toEqual({ requests: 1, notModified: 0, orgsCached: 1 });
    expect(results[0]).toEqual({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      flagMetadata: { is_default: false, source: 'admin', version: 3, registry_version: REGISTRY_VERSION },
    });
    expect(results[1]).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      variant: 'off',
      flagMetadata: { is_default: true },
    });
  });

  it('answers 10,000 evaluations over 100 warmed orgs from memory', async () => {
    for (let index = 0; index < 100; index += 1)
      service.setOrg(`org-${index}`, { chat: { value: index % 2 === 0, own: true } });
    const target = provider();
    await Promise.all(Array.from({ length: 100 }, (_, index) => evaluate(target, `org-${index}`)));
    expect(service.requests).toHaveLength(100);
    const results = await Promise.all(
      Array.from({ length: 10_000 }, (_, index) => evaluate(target, `org-${index % 100}`)),
    );
    expect(service.requests).toHaveLength(100);
    expect(target.stats().requests).toBe(100);
    expect(results.every((result, index) => result.value === ((index % 100) % 2 === 0))).toBe(true);
  });

  it('throws for a missing targeting key, an unknown flag, a flag the service failed to evaluate, and a non-boolean type', async () => {
    service.failedKeys = ['broken'];
    const target = provider();
    await expect(evaluate(target, undefined)).rejects.toBeInstanceOf(TargetingKeyMissingError);
    await expect(evaluate(target, '')).rejects.toBeInstanceOf(TargetingKeyMissingError);
    await expect(evaluate(target, 'acme', 'nope')).rejects.toBeInstanceOf(FlagNotFoundError);
    await expect(evaluate(target, 'acme', 'broken')).rejects.toBeInstanceOf(FlagNotFoundError);
    await expect(target.resolveStringEvaluation('chat')).rejects.toBeInstanceOf(TypeMismatchError);
    await expect(target.resolveNumberEvaluation('chat')).rejects.toBeInstanceOf(TypeMismatchError);
    await expect(target.resolveObjectEvaluation('chat')).rejects.toBeInstanceOf(TypeMismatchError);
    expect(service.requests).toHaveLength(1);
  });

  it('throws InvalidContextError for an org the service rejects, and remembers the rejection for the TTL', async () => {
    const target = provider({ ttlMs: 100 });
    await expect(evaluate(target, 'nobody')).rejects.toThrow(
      new InvalidContextError('org "nobody" was rejected by the service (INVALID_CONTEXT: unknown org nobody)'),
    );
    await expect(evaluate(target, 'nobody')).rejects.toBeInstanceOf(InvalidContextError);
    expect(service.requestsFor('nobody')).toHaveLength(1);
    await delay(150);
    service.setOrg('nobody', { chat: { value: true, own: true } });
    await expect(evaluate(target, 'nobody')).resolves.toMatchObject({ value: true });
    expect(service.requestsFor('nobody')).toHaveLength(2);
  });

  it('throws GeneralError when the service refuses the token', async () => {
    const target = provider({ token: () => 'wrong' });
    await expect(evaluate(target, 'acme')).rejects.toBeInstanceOf(GeneralError);
    expect(log.lines.warn).toHaveLength(1);
    expect(log.lines.warn[0]).toContain('refused the request (401)');
  });
});

describe('stale-while-revalidate', () => {
  it('answers an expired org at once and revalidates it once in the background with If-None-Match; 304 keeps the values', async () => {
    const target = provider({ ttlMs: 50 });
    await evaluate(target, 'acme');
    await delay(80);
    // Far longer than the evaluations may take, so that a loaded machine cannot blur the two.
    service.delayMs = 1_500;
    const start = performance.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => evaluate(target, 'acme')));
    expect(performance.now() - start).toBeLessThan(500);
    expect(results.every((result) => result.value === true && result.reason === 'TARGETING_MATCH')).toBe(true);
    await waitFor(() => target.stats().notModified === 1);
    expect(service.requests).toHaveLength(2);
    expect(service.requests[1]!.ifNoneMatch).toBe(service.etagOf('acme'));
    await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(service.requests).toHaveLength(2);
  });

  it('takes a changed value from the revalidation and emits ConfigurationChanged with the keys that changed', async () => {
    const target = provider({ ttlMs: 50 });
    const changes: unknown[] = [];
    target.events.addHandler(ProviderEvents.ConfigurationChanged, (details) => changes.push(details));
    await evaluate(target, 'acme');
    service.setFlag('acme', 'chat', false);
    await delay(80);
    await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: true });
    await waitFor(async () => (await evaluate(target, 'acme')).value === false);
    expect(changes).toEqual([expect.objectContaining({ flagsChanged: ['chat'], metadata: { orgId: 'acme' } })]);
  });

  it('answers the last values with reason STALE while the service is down, warns once, and logs the recovery once', async () => {
    const target = provider({ ttlMs: 50 });
    await evaluate(target, 'acme');
    await evaluate(target, 'globex');
    await service.stop();
    await delay(80);
    await evaluate(target, 'acme');
    await waitFor(async () => (await evaluate(target, 'acme')).reason === StandardResolutionReasons.STALE);
    for (let round = 0; round < 4; round += 1) {
      await delay(60);
      await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: true, variant: 'on' });
      await expect(evaluate(target, 'globex', 'export')).resolves.toMatchObject({ value: true });
    }
    await waitFor(async () => (await evaluate(target, 'globex')).reason === StandardResolutionReasons.STALE);
    expect(log.lines.warn).toHaveLength(1);
    expect(log.lines.warn[0]).toContain('could not be reached');
    expect(log.lines.info).toHaveLength(0);

    await service.start();
    await delay(60);
    await evaluate(target, 'acme');
    await waitFor(async () => (await evaluate(target, 'acme')).reason === 'TARGETING_MATCH');
    await delay(60);
    await evaluate(target, 'globex');
    await waitFor(async () => (await evaluate(target, 'globex')).reason === 'DEFAULT');
    expect(log.lines.warn).toHaveLength(1);
    expect(log.lines.info).toEqual(['org-feature-flags: the service answers again']);
  });

  it('does not ask again more than once per TTL while the service is down', async () => {
    const ttlMs = 100;
    const target = provider({ ttlMs });
    await evaluate(target, 'acme');
    service.override = { status: 500 };
    await delay(120);
    for (let index = 0; index < 30; index += 1) {
      await evaluate(target, 'acme');
      await delay(5);
    }
    const failed = service.requests.slice(1).map((request) => request.at);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.length).toBeLessThan(30);
    const gaps = failed.slice(1).map((at, index) => at - failed[index]!);
    expect(gaps.filter((gap) => gap < ttlMs)).toEqual([]);
  });
});

describe('through the OpenFeature SDK', () => {
  beforeAll(() => {
    OpenFeature.setLogger(silent);
  });
  afterEach(() => OpenFeature.clearProviders());
  afterAll(() => OpenFeature.close());

  it('gives the code default with an error for an org never fetched while the service is down', async () => {
    const url = service.url;
    await service.stop();
    await OpenFeature.setProviderAndWait(provider({ baseUrl: url }));
    const details = await OpenFeature.getClient().getBooleanDetails('chat', true, { targetingKey: 'acme' });
    expect(details).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.GENERAL,
    });
    expect(details.errorMessage).toContain('no flags for org "acme" yet');
  });

  it('gives the flag value, its reason, variant and metadata, and the errors of the SDK', async () => {
    await OpenFeature.setProviderAndWait(provider());
    const client = OpenFeature.getClient();
    await expect(client.getBooleanDetails('chat', false, { targetingKey: 'acme' })).resolves.toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      flagMetadata: { version: 3, is_default: false },
    });
    await expect(client.getBooleanValue('export', true, { targetingKey: 'acme' })).resolves.toBe(false);
    await expect(client.getBooleanDetails('chat', true, {})).resolves.toMatchObject({
      value: true,
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    });
    await expect(client.getBooleanDetails('chat', true, { targetingKey: 'nobody' })).resolves.toMatchObject({
      value: true,
      errorCode: ErrorCode.INVALID_CONTEXT,
    });
    await expect(client.getBooleanDetails('nope', true, { targetingKey: 'acme' })).resolves.toMatchObject({
      value: true,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    await expect(client.getStringDetails('chat', 'x', { targetingKey: 'acme' })).resolves.toMatchObject({
      value: 'x',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });
});

describe('Retry-After', () => {
  it('makes no request for any org before the time the service gave', async () => {
    const target = provider({ ttlMs: 50 });
    await evaluate(target, 'acme');
    await delay(80);
    service.override = { status: 429, headers: { 'retry-after': '1' } };
    await evaluate(target, 'acme');
    await waitFor(() => service.requests.length === 2);
    const blockedAt = service.requests[1]!.at;
    service.override = undefined;
    await waitFor(async () => (await evaluate(target, 'acme')).reason === StandardResolutionReasons.STALE);

    await expect(evaluate(target, 'globex')).rejects.toBeInstanceOf(GeneralError);
    await target.invalidate('acme');
    for (let index = 0; index < 10; index += 1) {
      await expect(evaluate(target, 'acme')).resolves.toMatchObject({
        value: true,
        reason: StandardResolutionReasons.STALE,
      });
      await delay(50);
    }
    expect(service.requests).toHaveLength(2);
    expect(log.lines.warn).toHaveLength(1);
    expect(log.lines.warn[0]).toContain('answered 429');

    await waitFor(async () => (await evaluate(target, 'acme')).reason === 'TARGETING_MATCH', 3_000);
    expect(service.requests[2]!.at - blockedAt).toBeGreaterThanOrEqual(1_000);
    await expect(evaluate(target, 'globex')).resolves.toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('obeys a 503 with Retry-After for an org never fetched', async () => {
    const target = provider();
    service.override = { status: 503, headers: { 'retry-after': '1' } };
    await expect(evaluate(target, 'acme')).rejects.toBeInstanceOf(GeneralError);
    service.override = undefined;
    await expect(evaluate(target, 'acme')).rejects.toThrow(/asked for no request before/);
    expect(service.requests).toHaveLength(1);
    await delay(1_050);
    await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: true });
    expect(service.requests).toHaveLength(2);
  });
});

describe('memory bound', () => {
  it('keeps at most maxOrgs orgs, dropping the least recently used', async () => {
    for (let index = 0; index < 5; index += 1) service.setOrg(`org-${index}`, { chat: { value: true } });
    const target = provider({ maxOrgs: 3 });
    for (let index = 0; index < 5; index += 1) await evaluate(target, `org-${index}`);
    expect(target.stats()).toMatchObject({ requests: 5, orgsCached: 3 });
    await evaluate(target, 'org-4');
    await evaluate(target, 'org-2');
    expect(service.requests).toHaveLength(5);
    await evaluate(target, 'org-0');
    expect(service.requestsFor('org-0')).toHaveLength(2);
    expect(target.stats().orgsCached).toBe(3);
  });

  it('counts only evaluations as use: an invalidation answered 304 leaves the org where it was', async () => {
    for (let index = 0; index < 3; index += 1) service.setOrg(`org-${index}`, { chat: { value: true } });
    const target = provider({ maxOrgs: 2 });
    await evaluate(target, 'org-0');
    await evaluate(target, 'org-1');
    await target.invalidate('org-0');
    expect(target.stats()).toMatchObject({ requests: 3, notModified: 1, orgsCached: 2 });
    await evaluate(target, 'org-2');
    await evaluate(target, 'org-1');
    expect(service.requestsFor('org-1')).toHaveLength(1);
    await evaluate(target, 'org-0');
    expect(service.requestsFor('org-0')).toHaveLength(3);
  });
});

describe('invalidate', () => {
  it('refreshes an org within a second, answering the previous values until the new ones arrive', async () => {
    const target = provider();
    await evaluate(target, 'acme');
    const etag = service.etagOf('acme');
    service.setFlag('acme', 'chat', false);
    service.delayMs = 200;
    const done = target.invalidate('acme');
    await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    const took = await waitFor(async () => (await evaluate(target, 'acme')).value === false, 1_000);
    expect(took).toBeLessThan(1_000);
    await done;
    expect(service.requests).toHaveLength(2);
    expect(service.requests[1]!.ifNoneMatch).toBe(etag);
  });

  it('asks again after a request already under way, once for several invalidations', async () => {
    const target = provider();
    await evaluate(target, 'acme');
    service.delayMs = 100;
    const first = target.invalidate('acme');
    service.setFlag('acme', 'chat', false);
    const second = target.invalidate('acme');
    const third = target.invalidate('acme');
    await Promise.all([first, second, third]);
    expect(service.requests).toHaveLength(3);
    await expect(evaluate(target, 'acme')).resolves.toMatchObject({ value: false });
  });

  it('leaves an org never fetched alone, and forgets a rejected org', async () => {
    const target = provider();
    await target.invalidate('acme');
    expect(service.requests).toHaveLength(0);
    await expect(evaluate(target, 'nobody')).rejects.toBeInstanceOf(InvalidContextError);
    service.setOrg('nobody', { chat: { value: true } });
    await target.invalidate('nobody');
    await expect(evaluate(target, 'nobody')).resolves.toMatchObject({ value: true });
  });
});

describe('onClose', () => {
  it('aborts the requests under way', async () => {
    const target = provider();
    service.delayMs = 2_000;
    const pending = evaluate(target, 'acme');
    await waitFor(() => service.requests.length === 1);
    const start = Date.now();
    await target.onClose();
    await expect(pending).rejects.toBeInstanceOf(GeneralError);
    expect(Date.now() - start).toBeLessThan(500);
    expect(log.lines.warn).toHaveLength(0);
  });
});

describe('options', () => {
  it('refuses a base URL that is not a URL, a negative TTL and a bound that is not a positive integer', () => {
    expect(() => new OrgFeatureFlagsProvider({ baseUrl: 'nope', token: TOKEN })).toThrow();
    expect(() => new OrgFeatureFlagsProvider({ baseUrl: 'http://x', token: TOKEN, ttlMs: -1 })).toThrow(RangeError);
    expect(() => new OrgFeatureFlagsProvider({ baseUrl: 'http://x', token: TOKEN, maxOrgs: 0 })).toThrow(RangeError);
    expect(() => new OrgFeatureFlagsProvider({ baseUrl: 'http://x', token: TOKEN, maxOrgs: 1.5 })).toThrow(RangeError);
  });

  it('uses the logger the SDK passes when none is given', async () => {
    const sdkLog = recordingLogger();
    const target = new OrgFeatureFlagsProvider({ baseUrl: service.url, token: 'wrong' });
    providers.push(target);
    await expect(
      target.resolveBooleanEvaluation('chat', false, { targetingKey: 'acme' }, sdkLog),
    ).rejects.toBeInstanceOf(GeneralError);
    expect(sdkLog.lines.warn).toHaveLength(1);
  });
});
