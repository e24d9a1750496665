import {
  FlagNotFoundError,
  GeneralError,
  InvalidContextError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  TargetingKeyMissingError,
  TypeMismatchError,
  type EvaluationContext,
  type JsonValue,
  type Logger,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { LRUCache } from 'lru-cache';
import { setMaxListeners } from 'node:events';
import {
  fetchOrgFlags,
  type OfrepClientOptions,
  type OrgFlag,
  type OrgFlagsResult,
  type TokenSource,
} from './ofrep-client.js';

/** Options of {@link OrgFeatureFlagsProvider}. */
export interface OrgFeatureFlagsProviderOptions {
  /** The service's base URL, e.g. `https://flags.example.com`. */
  readonly baseUrl: string;
  /** The bearer token, or a function giving the current one (called before each request). */
  readonly token: TokenSource;
  /** How long an org's flags are used before they are revalidated in the background. Default 30 000 ms. */
  readonly ttlMs?: number;
  /** How many orgs are kept in memory (least recently used dropped first). Default 10 000. */
  readonly maxOrgs?: number;
  /** Request timeout. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** The `fetch` to use; default the global one. */
  readonly fetch?: typeof fetch;
  /** Where warnings go; default the logger the OpenFeature SDK passes to evaluations, else the console. */
  readonly logger?: Logger;
}

/** Counters of {@link OrgFeatureFlagsProvider.stats}. */
export interface OrgFeatureFlagsProviderStats {
  /** HTTP requests made to the service. */
  readonly requests: number;
  /** Of those, how many were answered 304 (the org's flags had not changed). */
  readonly notModified: number;
  /** Orgs held in memory (including unknown orgs, remembered for a TTL). */
  readonly orgsCached: number;
}

/** Default of {@link OrgFeatureFlagsProviderOptions.ttlMs}. */
export const DEFAULT_TTL_MS = 30_000;
/** Default of {@link OrgFeatureFlagsProviderOptions.maxOrgs}. */
export const DEFAULT_MAX_ORGS = 10_000;

/** An org's flags as last received; `checkAt` is when to ask the service again. */
interface FlagsEntry {
  readonly kind: 'flags';
  /** Each flag's answer while the entry is fresh, built once when the flags arrive. */
  readonly flags: ReadonlyMap<string, ResolutionDetails<JsonValue>>;
  readonly etag: string | undefined;
  checkAt: number;
  /** The last attempt to revalidate did not reach the service (or was not allowed to). */
  stale: boolean;
}

/** An org the service refused (400: unknown, or not visible to the token), remembered until `checkAt`. */
interface RejectedEntry {
  readonly kind: 'rejected';
  readonly message: string;
  readonly checkAt: number;
}

type Entry = FlagsEntry | RejectedEntry;

/** What loading an org came to: an entry, or, for an org never fetched, why there is none. */
type Loaded = Entry | { readonly kind: 'unavailable'; readonly message: string };

/**
 * OpenFeature server provider for org-feature-flags: the targeting key is the org id, and each
 * org's flags come from the service's OFREP bulk endpoint in one request, then are answered from
 * memory. Past `ttlMs` an org's flags are still answered at once while one background request
 * revalidates them with the org's ETag (stale-while-revalidate). When the service cannot be
 * reached the last known values are answered with reason `STALE`; a `Retry-After` is obeyed for
 * every org.
 */
export class OrgFeatureFlagsProvider implements Provider {
  readonly runsOn = 'server' as const;
  readonly metadata = { name: 'org-feature-flags' } as const;
  /** Emits `ConfigurationChanged` with the keys whose value changed when a revalidation changes an org's flags. */
  readonly events = new OpenFeatureEventEmitter();

  private readonly client: OfrepClientOptions;
  private readonly ttlMs: number;
  /** An evaluation (`get`) or new flags (`set`) make an org the most recently used; the other reads `peek`. */
  private readonly entries: LRUCache<string, Entry>;
  /** The request under way for an org, at most one per org. */
  private readonly inflight = new Map<string, Promise<Loaded>>();
  /** An invalidation waiting for the org's request under way to end (that request may predate the change). */
  private readonly queued = new Map<string, Promise<void>>();
  private abort = requestsController();
  /** Counts {@link onClose} calls, so that invalidations queued before one are dropped. */
  private generation = 0;
  /** No request before this time (epoch ms), from the service's last `Retry-After`. */
  private blockedUntil = 0;
  /** Why the service could not be reached, while it cannot. */
  private outage: string | undefined;
  private sdkLogger: Logger | undefined;
  private requests = 0;
  private notModified = 0;

  constructor(private readonly options: OrgFeatureFlagsProviderOptions) {
    new URL(options.baseUrl);
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs < 0)
      throw new RangeError(`ttlMs must be a non-negative number, got ${this.ttlMs}`);
    const maxOrgs = options.maxOrgs ?? DEFAULT_MAX_ORGS;
    if (!Number.isInteger(maxOrgs) || maxOrgs < 1)
      throw new RangeError(`maxOrgs must be a positive integer, got ${maxOrgs}`);
    this.entries = new LRUCache({ max: maxOrgs });
    this.client = {
      baseUrl: options.baseUrl,
      token: options.token,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    };
  }

  /** The value of the boolean flag `flagKey` for the org named by `context.targetingKey`. */
  resolveBooleanEvaluation(
    flagKey: string,
    _defaultValue: boolean,
    context: EvaluationContext,
    logger?: Logger,
  ): Promise<ResolutionDetails<boolean>> {
    if (logger) this.sdkLogger = logger;
    // The hot path: a cached, fresh org answers the answer built when its flags arrived.
    const orgId = context.targetingKey;
    const cached = typeof orgId === 'string' ? this.entries.get(orgId) : undefined;
    if (cached?.kind === 'flags' && !cached.stale) {
      const answer = cached.flags.get(flagKey);
      if (typeof answer?.value === 'boolean') {
        if (Date.now() >= cached.checkAt) void this.revalidate(orgId as string);
        return Promise.resolve(answer as ResolutionDetails<boolean>);
      }
    }
    return this.resolve(flagKey, context);
  }

  private async resolve(flagKey: string, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const orgId = context.targetingKey;
    if (typeof orgId !== 'string' || orgId === '')
      throw new TargetingKeyMissingError('the targeting key (the org id) is missing');
    const cached = this.entries.get(orgId);
    let entry: Loaded;
    if (cached?.kind === 'flags') {
      if (Date.now() >= cached.checkAt) void this.revalidate(orgId);
      entry = cached;
    } else if (cached && Date.now() < cached.checkAt) {
      entry = cached;
    } else {
      entry = await (this.inflight.get(orgId) ?? this.request(orgId));
    }
    return this.answer(orgId, entry, flagKey);
  }

  /** Always throws {@link TypeMismatchError}: every flag of org-feature-flags is a boolean. */
  async resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>> {
    throw typeMismatch(flagKey);
  }

  /** Always throws {@link TypeMismatchError}: every flag of org-feature-flags is a boolean. */
  async resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>> {
    throw typeMismatch(flagKey);
  }

  /** Always throws {@link TypeMismatchError}: every flag of org-feature-flags is a boolean. */
  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    throw typeMismatch(flagKey);
  }

  /**
   * Marks the org's flags expired and revalidates them now (unless a `Retry-After` forbids it:
   * then at the first evaluation after it). Evaluations answer the previous values until the new
   * ones arrive. Resolves when that revalidation is done; never rejects. An org not in memory is
   * left alone (it is fetched at its first evaluation).
   */
  invalidate(orgId: string): Promise<void> {
    const running = this.inflight.get(orgId);
    if (!running) return this.invalidateNow(orgId);
    let queued = this.queued.get(orgId);
    if (!queued) {
      const generation = this.generation;
      queued = running.then(() => {
        if (generation !== this.generation) return;
        this.queued.delete(orgId);
        return this.invalidateNow(orgId);
      });
      this.queued.set(orgId, queued);
    }
    return queued;
  }

  /** Request and cache counters. */
  stats(): OrgFeatureFlagsProviderStats {
    return { requests: this.requests, notModified: this.notModified, orgsCached: this.entries.size };
  }

  /** Aborts the requests under way; cached flags stay (a provider used again keeps answering them). */
  async onClose(): Promise<void> {
    this.generation += 1;
    this.abort.abort();
    this.abort = requestsController();
    this.queued.clear();
  }

  private get logger(): Logger {
    return this.options.logger ?? this.sdkLogger ?? console;
  }

  private async invalidateNow(orgId: string): Promise<void> {
    const entry = this.entries.peek(orgId);
    if (!entry) return;
    if (entry.kind === 'rejected') {
      this.entries.delete(orgId);
      return;
    }
    entry.checkAt = 0;
    await this.revalidate(orgId);
  }

  private async revalidate(orgId: string): Promise<void> {
    await (this.inflight.get(orgId) ?? this.request(orgId));
  }

  /** Starts the org's one request; it never rejects. */
  private request(orgId: string): Promise<Loaded> {
    const promise: Promise<Loaded> = this.fetchAndSettle(orgId)
      .catch((error: unknown) => {
        this.logger.error(`org-feature-flags: refreshing org "${orgId}" failed`, error);
        const entry = this.entries.peek(orgId);
        return entry ?? { kind: 'unavailable' as const, message: `no flags for org "${orgId}": ${String(error)}` };
      })
      .finally(() => {
        if (this.inflight.get(orgId) === promise) this.inflight.delete(orgId);
      });
    this.inflight.set(orgId, promise);
    return promise;
  }

  private async fetchAndSettle(orgId: string): Promise<Loaded> {
    const previous = this.entries.peek(orgId);
    const known = previous?.kind === 'flags' ? previous : undefined;
    if (Date.now() < this.blockedUntil) {
      const reason = `the service asked for no request before ${new Date(this.blockedUntil).toISOString()}`;
      if (!known) return { kind: 'unavailable', message: `no flags for org "${orgId}" yet: ${reason}` };
      known.stale = true;
      known.checkAt = Math.max(known.checkAt, this.blockedUntil);
      return known;
    }
    const { signal } = this.abort;
    this.requests += 1;
    const result = await fetchOrgFlags(this.client, orgId, known?.etag, signal);
    if (signal.aborted) return known ?? { kind: 'unavailable', message: 'the provider was closed' };
    return this.settle(orgId, known, result);
  }

  private settle(orgId: string, known: FlagsEntry | undefined, result: OrgFlagsResult): Loaded {
    const now = Date.now();
    switch (result.kind) {
      case 'ok': {
        this.reached();
        const entry: FlagsEntry = {
          kind: 'flags',
          flags: freshAnswers(result.flags),
          etag: result.etag,
          checkAt: now + this.ttlMs,
          stale: false,
        };
        this.entries.set(orgId, entry);
        if (known) this.announceChanges(orgId, known.flags, entry.flags);
        return entry;
      }
      case 'not-modified':
        if (!known)
          return this.unreachable(
            orgId,
            known,
            'the service answered 304 to a request without an ETag',
            now + this.ttlMs,
          );
        this.reached();
        this.notModified += 1;
        known.checkAt = now + this.ttlMs;
        known.stale = false;
        this.keep(orgId, known);
        return known;
      case 'rejected': {
        if (result.status !== 400)
          return this.unreachable(orgId, known, `the service refused the request (${result.status})`, now + this.ttlMs);
        this.reached();
        const why = [result.errorCode, result.errorDetails].filter((part) => part !== undefined).join(': ');
        const entry: RejectedEntry = {
          kind: 'rejected',
          message: `org "${orgId}" was rejected by the service${why === '' ? '' : ` (${why})`}`,
          checkAt: now + this.ttlMs,
        };
        this.entries.set(orgId, entry);
        return entry;
      }
      case 'retry-later':
        this.blockedUntil = Math.max(this.blockedUntil, now + result.retryAfterMs);
        return this.unreachable(
          orgId,
          known,
          `the service answered ${result.status} and asked for no request before ${new Date(this.blockedUntil).toISOString()}`,
          this.blockedUntil,
        );
      case 'failed':
        return this.unreachable(
          orgId,
          known,
          `the service could not be reached (${result.error.message})`,
          now + this.ttlMs,
        );
    }
  }

  private unreachable(orgId: string, known: FlagsEntry | undefined, reason: string, checkAt: number): Loaded {
    if (this.outage === undefined) {
      this.outage = reason;
      this.logger.warn(
        `org-feature-flags: ${reason}; answering the last known flags with reason STALE until it answers again`,
      );
    }
    if (!known) return { kind: 'unavailable', message: `no flags for org "${orgId}" yet: ${reason}` };
    known.stale = true;
    known.checkAt = checkAt;
    this.keep(orgId, known);
    return known;
  }

  /** Puts back an entry dropped from memory while its revalidation was under way (an evaluation just used it). */
  private keep(orgId: string, entry: FlagsEntry): void {
    if (!this.entries.has(orgId)) this.entries.set(orgId, entry);
  }

  private reached(): void {
    if (this.outage === undefined) return;
    this.outage = undefined;
    this.logger.info('org-feature-flags: the service answers again');
  }

  private announceChanges(
    orgId: string,
    before: ReadonlyMap<string, ResolutionDetails<JsonValue>>,
    after: ReadonlyMap<string, ResolutionDetails<JsonValue>>,
  ): void {
    const flagsChanged = [...new Set([...before.keys(), ...after.keys()])].filter(
      (key) => !sameValue(before.get(key), after.get(key)),
    );
    if (flagsChanged.length === 0) return;
    try {
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged,
        message: `flags of org "${orgId}" changed`,
        metadata: { orgId },
      });
    } catch (error) {
      this.logger.error('org-feature-flags: a ConfigurationChanged handler failed', error);
    }
  }

  private answer(orgId: string, entry: Loaded, flagKey: string): ResolutionDetails<boolean> {
    if (entry.kind === 'unavailable') throw new GeneralError(entry.message);
    if (entry.kind === 'rejected') throw new InvalidContextError(entry.message);
    const flag = entry.flags.get(flagKey);
    if (!flag) throw new FlagNotFoundError(`flag "${flagKey}" not found for org "${orgId}"`);
    if (typeof flag.value !== 'boolean')
      throw new TypeMismatchError(`flag "${flagKey}" of org "${orgId}" is not a boolean`);
    return (entry.stale ? { ...flag, reason: StandardResolutionReasons.STALE } : flag) as ResolutionDetails<boolean>;
  }
}

/** Each flag's fresh answer, as the SDK takes it. */
function freshAnswers(flags: ReadonlyMap<string, OrgFlag>): Map<string, ResolutionDetails<JsonValue>> {
  const answers = new Map<string, ResolutionDetails<JsonValue>>();
  for (const [key, flag] of flags) {
    answers.set(
      key,
      Object.freeze({
        value: flag.value,
        reason: flag.reason ?? StandardResolutionReasons.UNKNOWN,
        ...(flag.variant === undefined ? {} : { variant: flag.variant }),
        flagMetadata: flag.metadata,
      }),
    );
  }
  return answers;
}

/** The controller whose signal every request under way listens to: as many listeners as orgs being fetched at once. */
function requestsController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

function typeMismatch(flagKey: string): TypeMismatchError {
  return new TypeMismatchError(`flag "${flagKey}": every flag of org-feature-flags is a boolean`);
}

function sameValue(a: ResolutionDetails<JsonValue> | undefined, b: ResolutionDetails<JsonValue> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.value === b.value || JSON.stringify(a.value) === JSON.stringify(b.value);
}
