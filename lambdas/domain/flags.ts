import type { FlagDefinition, Registry } from '../../registry/index.js';
import type { AttributeValues } from './org-attributes.js';

/** How a row came to be: written at org creation, by a later registry sync, or by a person. */
export const FLAG_SOURCES = ['provisioned', 'synced', 'admin'] as const;
export type FlagSource = (typeof FLAG_SOURCES)[number];

/** One org's explicit state for one flag: what the API shows of a row. */
export interface FlagState {
  readonly orgId: string;
  readonly key: string;
  readonly enabled: boolean;
  /** Strictly increasing per row; compare for equality only. */
  readonly version: number;
  readonly source: FlagSource;
  readonly updatedAt: string;
  /** The stable subject of whoever wrote the row last (`sub` or `client_id`), or the writing process. */
  readonly updatedBy: string;
  /** That person's email when their token carried one; for display only. */
  readonly updatedByEmail?: string;
}

/** A stored flag row. */
export interface FlagRow extends FlagState {
  readonly createdAt: string;
  /** When the flag last went from off to on; absent if it never was on. */
  readonly enabledAt?: string;
}

/** The record that marks an org as provisioned, and with which registry version. */
export interface OrgRecord {
  readonly orgId: string;
  readonly provisionedAt: string;
  readonly registryVersion: string;
  readonly provisionedBy: string;
  /** The registry version a sync last brought the org up to, and when. */
  readonly syncedRegistryVersion?: string;
  readonly syncedAt?: string;
  /** The org's attribute values; absent when none is known. */
  readonly attributes?: AttributeValues;
  /** When the change that set them happened (an event's `occurred_at`, or an admin's write); a change older than this is ignored. */
  readonly attributesAt?: string;
  /** Who set them last: an admin's subject, or `event:<source>`. */
  readonly attributesBy?: string;
}

/** The registry version whose every flag the org holds a row for: its last sync, or its provisioning. */
export function heldRegistryVersion(org: OrgRecord): string {
  return org.syncedRegistryVersion ?? org.registryVersion;
}

/** One flag of an org as the API returns it: the registry definition merged with the org's row. */
export interface MergedFlag {
  key: string;
  description: string;
  feature_flag_value: 0 | 1;
  user_enabled: boolean;
  internal_only: boolean;
  from_registry: true;
  is_default: boolean;
  source: FlagSource | 'registry_default';
  version: number;
  updated_at: string | null;
  updated_by: string | null;
  updated_by_email: string | null;
}

/** The merged view of one org, plus the keys of rows that are no longer in the registry. */
export interface MergeResult {
  readonly flags: MergedFlag[];
  readonly orphanKeys: string[];
}

/**
 * Every registry flag exactly once, in registry order: the org's row where there is one,
 * otherwise the registry default. `internal_only` always comes from the registry.
 */
export function mergeOrgFlags(
  registry: Registry,
  rows: readonly FlagRow[],
  options: { includeInternal: boolean },
): MergeResult {
  const rowsByKey = new Map(rows.map((row) => [row.key, row]));
  const flags = registry.flags
    .filter((flag) => options.includeInternal || !flag.internal_only)
    .map((flag) => mergeFlag(flag, rowsByKey.get(flag.key)));
  const orphanKeys = orphanRows(registry, rows).map((row) => row.key);
  return { flags, orphanKeys };
}

export function mergeFlag(flag: FlagDefinition, row: FlagState | undefined): MergedFlag {
  const enabled = row ? row.enabled : flag.default_enabled;
  return {
    key: flag.key,
    description: flag.description,
    feature_flag_value: enabled ? 1 : 0,
    user_enabled: enabled,
    internal_only: flag.internal_only,
    from_registry: true,
    is_default: row === undefined,
    source: row?.source ?? 'registry_default',
    version: row?.version ?? 0,
    updated_at: row?.updatedAt ?? null,
    updated_by: row?.updatedBy ?? null,
    updated_by_email: row?.updatedByEmail ?? null,
  };
}

/** Explicit rows holding each flag's registry default at `now`. */
function defaultRows(
  flags: readonly FlagDefinition[],
  orgId: string,
  now: Date,
  actor: string,
  source: FlagSource,
): FlagRow[] {
  const at = now.toISOString();
  return flags.map((flag) => ({
    orgId,
    key: flag.key,
    enabled: flag.default_enabled,
    version: now.getTime(),
    source,
    createdAt: at,
    updatedAt: at,
    updatedBy: actor,
    ...(flag.default_enabled ? { enabledAt: at } : {}),
  }));
}

/** The explicit rows a new org gets: one per registry flag, holding the registry's default now. */
export function provisionedRows(registry: Registry, orgId: string, now: Date, actor: string): FlagRow[] {
  return defaultRows(registry.flags, orgId, now, actor, 'provisioned');
}

/** The rows a sync gives an org: one per registry flag it has no row for, holding the default now. */
export function missingRows(
  registry: Registry,
  rows: readonly FlagRow[],
  orgId: string,
  now: Date,
  actor: string,
): FlagRow[] {
  const held = new Set(rows.map((row) => row.key));
  return defaultRows(
    registry.flags.filter((flag) => !held.has(flag.key)),
    orgId,
    now,
    actor,
    'synced',
  );
}

/** Rows whose key is not in the registry (retired or unknown). */
export function orphanRows(registry: Registry, rows: readonly FlagRow[]): FlagRow[] {
  return rows.filter((row) => !registry.byKey.has(row.key));
}
