import type { FlagRow, FlagState, OrgRecord } from './flags.js';

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
  /** Applies a person's change together with its history entry, atomically. */
  applyChange(change: FlagChange): Promise<FlagChangeOutcome>;
}
