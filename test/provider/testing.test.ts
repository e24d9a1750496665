import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ErrorCode,
  InMemoryProvider,
  OpenFeature,
  ProviderEvents,
  type Client,
  type EventDetails,
} from '@openfeature/server-sdk';
import { FLAG_DEFAULTS, FLAG_KEYS, type FlagKey } from '../../provider/src/generated/flags.js';
import { InMemoryFlagsProvider, useInMemoryFlags, withFlag, withFlagDisabled } from '../../provider/src/testing.js';
import { flagsFor } from '../../provider/src/typed.js';

// The registry's flags change over time: the tests take theirs from it.
function registryKey(index: number): FlagKey {
  const key = FLAG_KEYS[index];
  if (key === undefined) throw new Error(`the registry needs at least ${index + 1} flags for these tests`);
  return key;
}
const KEY = registryKey(0);
const OTHER_KEY = registryKey(1);
const DEFAULT = FLAG_DEFAULTS[KEY];
const FLIPPED = !DEFAULT;

let provider: InMemoryFlagsProvider;
let client: Client;

beforeEach(async () => {
  provider = await useInMemoryFlags();
  client = OpenFeature.getClient();
});

afterAll(async () => {
  await OpenFeature.close();
});

const details = (orgId: string, key: string = KEY) => client.getBooleanDetails(key, false, { targetingKey: orgId });

describe('InMemoryFlagsProvider', () => {
  it('is the provider OpenFeature evaluates with, ready, for the server', () => {
    expect(OpenFeature.getProvider()).toBe(provider);
    expect(client.providerStatus).toBe('READY');
    expect(provider.runsOn).toBe('server');
  });

  it("gives every org each flag's registry default, with reason DEFAULT", async () => {
    for (const key of FLAG_KEYS) {
      const result = await client.getBooleanDetails(key, !FLAG_DEFAULTS[key], { targetingKey: `org-${key}` });
      expect(result).toMatchObject({ flagKey: key, value: FLAG_DEFAULTS[key], reason: 'DEFAULT' });
      expect(result.errorCode).toBeUndefined();
    }
  });

  it('answers a value set by a test for that org only, with reason STATIC', async () => {
    provider.set('acme', KEY, FLIPPED);
    expect(await details('acme')).toMatchObject({ value: FLIPPED, reason: 'STATIC' });
    expect(await details('globex')).toMatchObject({ value: DEFAULT, reason: 'DEFAULT' });
    expect(provider.get('acme', KEY)).toBe(FLIPPED);
    expect(provider.get('globex', KEY)).toBe(DEFAULT);
    expect(provider.overrideOf('acme', KEY)).toBe(FLIPPED);
    expect(provider.overrideOf('globex', KEY)).toBeUndefined();
  });

  it('answers STATIC for a set value equal to the default', async () => {
    provider.set('acme', KEY, DEFAULT);
    expect(await details('acme')).toMatchObject({ value: DEFAULT, reason: 'STATIC' });
  });

  it('clears one value, an org, a flag across orgs, or everything', async () => {
    const setAll = () => {
      for (const org of ['acme', 'globex'])
        for (const key of [KEY, OTHER_KEY]) provider.set(org, key, !FLAG_DEFAULTS[key]);
    };
    const reasons = async () =>
      Object.fromEntries(
        await Promise.all(
          ['acme', 'globex'].flatMap((org) =>
            [KEY, OTHER_KEY].map(async (key) => [`${org}/${key}`, (await details(org, key)).reason] as const),
          ),
        ),
      );

    setAll();
    provider.clear('acme', KEY);
    expect(await reasons()).toEqual({
      [`acme/${KEY}`]: 'DEFAULT',
      [`acme/${OTHER_KEY}`]: 'STATIC',
      [`globex/${KEY}`]: 'STATIC',
      [`globex/${OTHER_KEY}`]: 'STATIC',
    });

    setAll();
    provider.clear('acme');
    expect(await reasons()).toEqual({
      [`acme/${KEY}`]: 'DEFAULT',
      [`acme/${OTHER_KEY}`]: 'DEFAULT',
      [`globex/${KEY}`]: 'STATIC',
      [`globex/${OTHER_KEY}`]: 'STATIC',
    });

    setAll();
    provider.clear(undefined, OTHER_KEY);
    expect(await reasons()).toEqual({
      [`acme/${KEY}`]: 'STATIC',
      [`acme/${OTHER_KEY}`]: 'DEFAULT',
      [`globex/${KEY}`]: 'STATIC',
      [`globex/${OTHER_KEY}`]: 'DEFAULT',
    });

    setAll();
    provider.clear();
    expect(await reasons()).toEqual({
      [`acme/${KEY}`]: 'DEFAULT',
      [`acme/${OTHER_KEY}`]: 'DEFAULT',
      [`globex/${KEY}`]: 'DEFAULT',
      [`globex/${OTHER_KEY}`]: 'DEFAULT',
    });
    expect(provider.get('acme', KEY)).toBe(DEFAULT);
  });

  it('reports a key outside the registry as FLAG_NOT_FOUND, and returns the code default', async () => {
    const result = await details('acme', 'no-such-flag');
    expect(result).toMatchObject({ value: false, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
  });

  it('reports a missing targetingKey as TARGETING_KEY_MISSING', async () => {
    expect(await client.getBooleanDetails(KEY, FLIPPED)).toMatchObject({
      value: FLIPPED,
      reason: 'ERROR',
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    });
    expect(await client.getBooleanDetails(KEY, FLIPPED, { targetingKey: '' })).toMatchObject({
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    });
  });

  it('reports non-boolean evaluations as TYPE_MISMATCH', async () => {
    expect(await client.getStringDetails(KEY, 'x', { targetingKey: 'acme' })).toMatchObject({
      value: 'x',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await client.getNumberDetails(KEY, 1, { targetingKey: 'acme' })).toMatchObject({
      value: 1,
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await client.getObjectDetails(KEY, {}, { targetingKey: 'acme' })).toMatchObject({
      value: {},
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });

  it('refuses to set or get a key outside the registry', () => {
    expect(() => provider.set('acme', 'no-such-flag' as FlagKey, true)).toThrow(
      /'no-such-flag' is not a flag of the registry/,
    );
    expect(() => provider.get('acme', 'no-such-flag' as FlagKey)).toThrow(/not a flag of the registry/);
  });

  it('emits ConfigurationChanged with the changed key when a test sets or clears a value', async () => {
    const changes: unknown[] = [];
    const handler = (details?: EventDetails) => {
      changes.push(details?.flagsChanged);
    };
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, handler);
    try {
      provider.set('acme', KEY, FLIPPED);
      provider.clear('acme', KEY);
      provider.clear('acme', KEY);
      await new Promise((resolve) => setImmediate(resolve));
      expect(changes).toEqual([[KEY], [KEY]]);
    } finally {
      OpenFeature.removeHandler(ProviderEvents.ConfigurationChanged, handler);
    }
  });

  it('serves flagsFor with the registry defaults and set values', async () => {
    const flags = flagsFor(client);
    expect(await flags.isEnabled('acme', KEY)).toBe(DEFAULT);
    provider.set('acme', KEY, FLIPPED);
    expect(await flags.isEnabled('acme', KEY)).toBe(FLIPPED);
    expect(await flags.details('acme', KEY)).toMatchObject({ flagKey: KEY, value: FLIPPED, reason: 'STATIC' });
  });
});

describe('useInMemoryFlags', () => {
  it('registers a new provider each time', async () => {
    const next = await useInMemoryFlags();
    expect(next).not.toBe(provider);
    expect(OpenFeature.getProvider()).toBe(next);
  });

  it('registers the provider for a domain', async () => {
    const scoped = await useInMemoryFlags('billing');
    expect(OpenFeature.getProvider('billing')).toBe(scoped);
    expect(OpenFeature.getProvider()).toBe(provider);
    scoped.set('acme', KEY, FLIPPED);
    expect(await OpenFeature.getClient('billing').getBooleanValue(KEY, DEFAULT, { targetingKey: 'acme' })).toBe(
      FLIPPED,
    );
    expect(await details('acme')).toMatchObject({ value: DEFAULT, reason: 'DEFAULT' });
  });
});

describe('withFlag', () => {
  it('sets the flag while fn runs, returns its result and restores the default', async () => {
    const result = withFlag('acme', KEY, FLIPPED, () => provider.get('acme', KEY));
    expect(result).toBe(FLIPPED);
    expect(provider.overrideOf('acme', KEY)).toBeUndefined();
    expect(await details('acme')).toMatchObject({ value: DEFAULT, reason: 'DEFAULT' });
  });

  it('awaits an async fn, resolves to its result and restores afterwards', async () => {
    const pending = withFlag('acme', KEY, FLIPPED, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return (await details('acme')).value;
    });
    expect(provider.get('acme', KEY)).toBe(FLIPPED);
    await expect(pending).resolves.toBe(FLIPPED);
    expect(provider.overrideOf('acme', KEY)).toBeUndefined();
  });

  it('restores when fn throws, and rethrows', () => {
    const failure = new Error('boom');
    expect(() =>
      withFlag('acme', KEY, FLIPPED, () => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(provider.overrideOf('acme', KEY)).toBeUndefined();
  });

  it('restores when an async fn rejects, and rejects with its error', async () => {
    const failure = new Error('async boom');
    await expect(
      withFlag('acme', KEY, FLIPPED, async () => {
        await Promise.resolve();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(provider.overrideOf('acme', KEY)).toBeUndefined();
  });

  it('restores a value set before, not the default', async () => {
    provider.set('acme', KEY, DEFAULT);
    await withFlag('acme', KEY, FLIPPED, async () => {
      expect((await details('acme')).value).toBe(FLIPPED);
    });
    expect(await details('acme')).toMatchObject({ value: DEFAULT, reason: 'STATIC' });
  });

  it('restores each level when nested', async () => {
    const seen: Array<boolean | undefined> = [];
    await withFlag('acme', KEY, FLIPPED, async () => {
      seen.push(provider.overrideOf('acme', KEY));
      await expect(
        withFlag('acme', KEY, DEFAULT, async () => {
          seen.push(provider.overrideOf('acme', KEY));
          withFlag('acme', OTHER_KEY, !FLAG_DEFAULTS[OTHER_KEY], () =>
            seen.push(provider.overrideOf('acme', OTHER_KEY)),
          );
          seen.push(provider.overrideOf('acme', OTHER_KEY));
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      seen.push(provider.overrideOf('acme', KEY));
    });
    seen.push(provider.overrideOf('acme', KEY));
    expect(seen).toEqual([FLIPPED, DEFAULT, !FLAG_DEFAULTS[OTHER_KEY], undefined, FLIPPED, undefined]);
  });

  it('only touches the given org', () => {
    withFlag('acme', KEY, FLIPPED, () => {
      expect(provider.get('acme', KEY)).toBe(FLIPPED);
      expect(provider.get('globex', KEY)).toBe(DEFAULT);
    });
  });

  it('uses a provider passed explicitly, whatever OpenFeature has registered', async () => {
    const own = new InMemoryFlagsProvider();
    await withFlag(own, 'acme', KEY, FLIPPED, async () => {
      expect(own.get('acme', KEY)).toBe(FLIPPED);
      expect(provider.overrideOf('acme', KEY)).toBeUndefined();
    });
    expect(own.overrideOf('acme', KEY)).toBeUndefined();
  });

  it('fails clearly when the registered provider is not an InMemoryFlagsProvider', async () => {
    await OpenFeature.setProviderAndWait(new InMemoryProvider({}));
    let ran = false;
    expect(() => withFlag('acme', KEY, FLIPPED, () => (ran = true))).toThrow(
      /withFlag needs an InMemoryFlagsProvider registered as OpenFeature's default provider, but the provider is 'in-memory'.*useInMemoryFlags\(\)/,
    );
    expect(ran).toBe(false);
  });
});

describe('withFlagDisabled', () => {
  it('runs fn with the flag off and restores it', async () => {
    provider.set('acme', KEY, true);
    const value = await withFlagDisabled('acme', KEY, async () => (await details('acme')).value);
    expect(value).toBe(false);
    expect(provider.overrideOf('acme', KEY)).toBe(true);
  });

  it('takes a provider explicitly', () => {
    const own = new InMemoryFlagsProvider();
    own.set('acme', KEY, true);
    expect(withFlagDisabled(own, 'acme', KEY, () => own.get('acme', KEY))).toBe(false);
    expect(own.get('acme', KEY)).toBe(true);
  });
});
