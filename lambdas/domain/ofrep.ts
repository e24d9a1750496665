import { createHash } from 'node:crypto';
import type { MergedFlag } from './flags.js';

// The OpenFeature Remote Evaluation Protocol (OFREP) answers of the evaluation routes; see
// docs/openfeature.md for what each case gives and why.

/** The org has its own row for the flag: the value was chosen for this org. */
export const REASON_ROW = 'TARGETING_MATCH';
/** The org has no row for the flag yet (added since its last sync): the registry default. */
export const REASON_REGISTRY_DEFAULT = 'DEFAULT';

/** The error codes the evaluation routes answer with (OpenFeature's error codes). */
export type OfrepErrorCode = 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'FLAG_NOT_FOUND' | 'GENERAL';

/** Metadata of each evaluated flag: where its value comes from. */
export interface OfrepFlagMetadata {
  /** No row: the registry default. */
  readonly is_default: boolean;
  /** What wrote the row (`provisioned`, `synced`, `admin`), or `registry_default`. */
  readonly source: MergedFlag['source'];
  /** The row's version, 0 without a row. */
  readonly version: number;
  /** The registry version the answer was evaluated with. */
  readonly registry_version: string;
}

/** One flag evaluated for one org. */
export interface OfrepEvaluation {
  readonly key: string;
  readonly value: boolean;
  readonly reason: typeof REASON_ROW | typeof REASON_REGISTRY_DEFAULT;
  readonly variant: 'on' | 'off';
  readonly metadata: OfrepFlagMetadata;
}

/** Every flag the caller may see, evaluated for one org. */
export interface OfrepBulkEvaluation {
  readonly flags: OfrepEvaluation[];
  readonly metadata: { readonly org_id: string; readonly registry_version: string };
}

/** An org's merged flag as an OFREP evaluation. */
export function evaluation(flag: MergedFlag, registryVersion: string): OfrepEvaluation {
  return {
    key: flag.key,
    value: flag.user_enabled,
    reason: flag.is_default ? REASON_REGISTRY_DEFAULT : REASON_ROW,
    variant: flag.user_enabled ? 'on' : 'off',
    metadata: {
      is_default: flag.is_default,
      source: flag.source,
      version: flag.version,
      registry_version: registryVersion,
    },
  };
}

/** The bulk answer for one org: its flags in registry order. */
export function bulkEvaluation(
  orgId: string,
  flags: readonly MergedFlag[],
  registryVersion: string,
): OfrepBulkEvaluation {
  return {
    flags: flags.map((flag) => evaluation(flag, registryVersion)),
    metadata: { org_id: orgId, registry_version: registryVersion },
  };
}

/**
 * The bulk answer's entity tag, from the answer as it is sent (its `JSON.stringify`): a hash of the
 * answer itself, so it changes exactly when the answer does (a row's value or version, the
 * registry, which flags the caller may see), and two orgs with the same flags still differ by the
 * org id the answer names.
 */
export function bulkEtag(serializedAnswer: string): string {
  return `"${createHash('sha256').update(serializedAnswer).digest('base64url').slice(0, 27)}"`;
}
