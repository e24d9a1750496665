import {
  FlagNotFoundError,
  OpenFeature,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  TargetingKeyMissingError,
  TypeMismatchError,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { FLAG_DEFAULTS, FLAG_KEYS, type FlagKey } from './generated/flags.js';

const KNOWN_KEYS: ReadonlySet<string> = new Set(FLAG_KEYS);

function isFlagKey(key: string): key is FlagKey {
  return KNOWN_KEYS.has(key);
}

function assertFlagKey(key: string): asserts key is FlagKey {
  if (!isFlagKey(key)) throw new Error(`'${key}' is not a flag of the registry (known: ${FLAG_KEYS.join(', ')})`);
}

/**
 * An OpenFeature server provider for tests: every org starts with each flag's registry default
 * (`FLAG_DEFAULTS`, reason `DEFAULT`); a test sets a value for one org with {@link set}
 * (reason `STATIC`). The org id is the evaluation context's `targetingKey`. Keys outside the
 * registry resolve to `FLAG_NOT_FOUND`, a missing `targetingKey` to `TARGETING_KEY_MISSING`.
 */
export class InMemoryFlagsProvider implements Provider {
  readonly metadata = { name: 'org-feature-flags in-memory' } as const;
  readonly runsOn = 'server';
  /** Emits `ConfigurationChanged` with the changed keys whenever a test sets or clears a value. */
  readonly events = new OpenFeatureEventEmitter();
  private readonly values = new Map<string, Map<FlagKey, boolean>>();

  /** Sets the flag's value for the org, until cleared. */
  set(orgId: string, key: FlagKey, enabled: boolean): void {
    assertFlagKey(key);
    let org = this.values.get(orgId);
    if (!org) this.values.set(orgId, (org = new Map()));
    org.set(key, enabled);
    this.changed([key]);
  }

  /**
   * Drops values set by tests, back to the registry defaults: all of them; or the org's; or, with
   * only `key` (`clear(undefined, key)`), that flag's for every org; or one flag's for one org.
   */
  clear(orgId?: string, key?: FlagKey): void {
    if (key !== undefined) assertFlagKey(key);
    const orgs = orgId === undefined ? [...this.values.keys()] : [orgId];
    const changed = new Set<FlagKey>();
    for (const id of orgs) {
      const org = this.values.get(id);
      if (!org) continue;
      for (const flag of key === undefined ? [...org.keys()] : [key]) {
        if (org.delete(flag)) changed.add(flag);
      }
      if (org.size === 0) this.values.delete(id);
    }
    if (changed.size > 0) this.changed([...changed]);
  }

  /** The flag's value for the org: the one a test set, else the registry default. */
  get(orgId: string, key: FlagKey): boolean {
    assertFlagKey(key);
    return this.overrideOf(orgId, key) ?? FLAG_DEFAULTS[key];
  }

  /** The value a test set for the org, or `undefined` when the org has the registry default. */
  overrideOf(orgId: string, key: FlagKey): boolean | undefined {
    return this.values.get(orgId)?.get(key);
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    _defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    if (!isFlagKey(flagKey)) throw new FlagNotFoundError(`flag '${flagKey}' is not in the registry`);
    const orgId = context.targetingKey;
    if (!orgId)
      throw new TargetingKeyMissingError('the org id is the targetingKey of the evaluation context; none was given');
    const value = this.overrideOf(orgId, flagKey);
    return value === undefined
      ? { value: FLAG_DEFAULTS[flagKey], reason: StandardResolutionReasons.DEFAULT }
      : { value, reason: StandardResolutionReasons.STATIC };
  }

  async resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>> {
    return this.notBoolean(flagKey);
  }

  async resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>> {
    return this.notBoolean(flagKey);
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    return this.notBoolean(flagKey);
  }

  private notBoolean(flagKey: string): never {
    if (!isFlagKey(flagKey)) throw new FlagNotFoundError(`flag '${flagKey}' is not in the registry`);
    throw new TypeMismatchError(`flag '${flagKey}' is a boolean flag`);
  }

  private changed(flagsChanged: FlagKey[]): void {
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
  }
}

/**
 * Registers a new {@link InMemoryFlagsProvider} with OpenFeature (for `domain`, or as the default
 * provider), waits until it is ready and returns it. Call it before each test file or test.
 */
export async function useInMemoryFlags(domain?: string): Promise<InMemoryFlagsProvider> {
  const provider = new InMemoryFlagsProvider();
  if (domain === undefined) await OpenFeature.setProviderAndWait(provider);
  else await OpenFeature.setProviderAndWait(domain, provider);
  return provider;
}

/**
 * Runs `fn` with the flag set to `enabled` for the org, then restores the org's previous value
 * (or default) when `fn` returns, throws, or (for a promise) settles; returns what `fn` returns.
 * Nested calls restore in turn. Without a provider argument it uses OpenFeature's default
 * provider, which must be an {@link InMemoryFlagsProvider} (see {@link useInMemoryFlags}).
 * Overlapping async calls (not nested) for the same org and flag do not restore reliably.
 */
export function withFlag<T>(orgId: string, key: FlagKey, enabled: boolean, fn: () => T): T;
export function withFlag<T>(
  provider: InMemoryFlagsProvider,
  orgId: string,
  key: FlagKey,
  enabled: boolean,
  fn: () => T,
): T;
export function withFlag<T>(
  ...args: [string, FlagKey, boolean, () => T] | [InMemoryFlagsProvider, string, FlagKey, boolean, () => T]
): T {
  const [provider, orgId, key, enabled, fn] = args.length === 4 ? [registeredProvider(), ...args] : args;
  const previous = provider.overrideOf(orgId, key);
  provider.set(orgId, key, enabled);
  const restore = () => {
    if (previous === undefined) provider.clear(orgId, key);
    else provider.set(orgId, key, previous);
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (isPromiseLike(result)) return Promise.resolve(result).finally(restore) as T;
  restore();
  return result;
}

/** {@link withFlag} with the flag off: runs `fn` with the flag disabled for the org, then restores it. */
export function withFlagDisabled<T>(orgId: string, key: FlagKey, fn: () => T): T;
export function withFlagDisabled<T>(provider: InMemoryFlagsProvider, orgId: string, key: FlagKey, fn: () => T): T;
export function withFlagDisabled<T>(
  ...args: [string, FlagKey, () => T] | [InMemoryFlagsProvider, string, FlagKey, () => T]
): T {
  return args.length === 3
    ? withFlag(args[0], args[1], false, args[2])
    : withFlag(args[0], args[1], args[2], false, args[3]);
}

function registeredProvider(): InMemoryFlagsProvider {
  const provider = OpenFeature.getProvider();
  if (provider instanceof InMemoryFlagsProvider) return provider;
  throw new Error(
    `withFlag needs an InMemoryFlagsProvider registered as OpenFeature's default provider, but the provider is '${provider.metadata.name}': ` +
      'call `await useInMemoryFlags()` first (e.g. in beforeEach), or pass the provider as the first argument.',
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
