import type { FlagRow, FlagState, OrgRecord } from './flags.js';
import type { HistoryEntry } from './history.js';
import type { AttributeChange } from './org-attributes.js';

/** A person's change to one flag of one org, as the store is asked to apply it. */
export interface FlagChange {
  readonly orgId: string;
  readonly key: string;
  readonly enabled: boolean;
  /** The row version the writer last saw; the change is refused if the row moved on. */
  readonly expectedVersion?: number;
  /** The registry default, which is the flag's value while the org has no row for it. */
  readonly registryDefault: boolean;
  readonly actor: string;
  readonly actorEmail?: string;
  readonly requestId: string;
  readonly now: Date;
}

/** What happened to a change. */
export type FlagChangeOutcome =
  | { readonly kind: 'changed'; readonly row: FlagState; readonly previousEnabled: boolean }
  | { readonly kind: 'unchanged'; readonly row: FlagState }
  | { readonly kind: 'org_not_found' }
  | { readonly kind: 'version_conflict'; readonly current: FlagState | undefined };

/** An org's stored state: its record (absent if never provisioned) and its flag rows. */
export interface OrgState {
  readonly org: OrgRecord | undefined;
  readonly rows: FlagRow[];
}

/** One page of a store read: the items, and whether the store holds more after the last one. */
export interface StorePage<T> {
  readonly items: T[];
  readonly more: boolean;
}

/**
 * Where a history page continues: the last entry read, by when it was made, its org, its flag and
 * its version. The store takes the partition it reads from its query, never from a position.
 */
export type HistoryPosition = {
  readonly changedAt: string;
  readonly orgId: string;
  readonly key: string;
  readonly version: number;
};

/** A page of history: its entries, and where the next page starts when there may be more. */
export interface HistoryPage {
  readonly items: HistoryEntry[];
  readonly next?: HistoryPosition;
}

/** The flag store's port: what the use cases need from storage, and nothing of how it is done. */
export interface FlagStore {
  /** The org record and every flag row of one org. */
  getOrgState(orgId: string): Promise<OrgState>;
  /** Whether the org has been provisioned. */
  getOrg(orgId: string): Promise<OrgRecord | undefined>;
  /** Writes each row unless a row for that org and key exists; returns how many were written. */
  putRowsIfAbsent(rows: readonly FlagRow[]): Promise<number>;
  /** Writes the org record unless one exists; returns whether this call wrote it. */
  putOrgIfAbsent(org: OrgRecord): Promise<boolean>;
  /**
   * Sets the org's attributes (with the change's audit entry when `audited`, atomically) if the
   * record still holds the attributes set at `expectedAt` (none when undefined): `conflict` when
   * it moved on meanwhile.
   */
  setOrgAttributes(
    change: AttributeChange,
    expectedAt: string | undefined,
    options: { audited: boolean },
  ): Promise<'changed' | 'conflict' | 'org_not_found'>;
  /** The org's latest attribute changes, newest first. */
  attributeChanges(orgId: string, limit: number): Promise<AttributeChange[]>;
  /** Applies a person's change together with its history entry, atomically. */
  applyChange(change: FlagChange): Promise<FlagChangeOutcome>;
  /** One org's row for one flag (one GetItem); when there is none, whether the org exists. */
  getFlag(orgId: string, key: string): Promise<{ row: FlagRow | undefined; orgExists: boolean }>;
  /** Org records in org id order, after `after`, whose id starts with `prefix`. */
  findOrgs(query: { prefix?: string; after?: string; limit: number }): Promise<StorePage<OrgRecord>>;
  /** Every org's row for one flag in org id order, after `after` (the per-flag index). */
  flagRows(query: { key: string; after?: string; limit: number }): Promise<StorePage<FlagRow>>;
  /** One org's history, newest first, optionally only one flag's entries (up to `limit` entries read). */
  orgHistory(query: { orgId: string; key?: string; after?: HistoryPosition; limit: number }): Promise<HistoryPage>;
  /** One flag's history across orgs, newest first. */
  flagHistory(query: { key: string; after?: HistoryPosition; limit: number }): Promise<HistoryPage>;
}
