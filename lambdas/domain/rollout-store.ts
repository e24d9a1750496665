import type { FlagSource } from './flags.js';
import type { StorePage } from './flag-store.js';
import type { AttributeValues } from './org-attributes.js';
import type { PreviewOutcome, Rollout } from './rollouts.js';

/** One org a preview found the rollout reaches: at which step, what it would do, and the org's value then. */
export interface PreviewOrg {
  readonly orgId: string;
  readonly step: number;
  readonly outcome: PreviewOutcome;
  /** The org's value of the flag when previewed. */
  readonly enabled: boolean;
  /** Where that value came from: the row's source, or the registry default when the org has no row. */
  readonly source: FlagSource | 'registry_default';
  readonly attributes: AttributeValues;
}

/** A previewed org in the API's and the table's spelling. */
export function previewOrgFields(org: PreviewOrg) {
  return {
    org_id: org.orgId,
    step: org.step,
    outcome: org.outcome,
    enabled: org.enabled,
    source: org.source,
    attributes: org.attributes,
  };
}

/** Where rollouts and their previews are kept. */
export interface RolloutStore {
  /** Stores a new rollout; fails if the id is taken. */
  create(rollout: Rollout): Promise<void>;
  get(rolloutId: string): Promise<Rollout | undefined>;
  /** Rollouts newest first, after the rollout `after`; `next` when there may be more. */
  list(limit: number, after?: string): Promise<{ rollouts: Rollout[]; next?: string }>;
  /** Replaces the rollout with `next` if it is still at `expectedVersion`; false when it moved on (nothing is written then). */
  save(next: Rollout, expectedVersion: number): Promise<boolean>;
  /** Records orgs one preview found; writing the same org again for the same preview replaces it with the same. */
  putPreviewOrgs(previewId: string, orgs: readonly PreviewOrg[]): Promise<void>;
  /** The orgs one preview found, in org id order, after the org `after`. */
  previewOrgs(query: { previewId: string; after?: string; limit: number }): Promise<StorePage<PreviewOrg>>;
}
