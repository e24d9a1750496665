import type { FlagDefinition, Registry } from '../../registry/index.js';
import { canSeeOrg, seesInternalFlags, type Caller } from '../domain/caller.js';
import { ConflictError, ForbiddenError, UnknownFlagError, orgNotFound } from '../domain/errors.js';
import type { FlagStore } from '../domain/flag-store.js';
import { mergeFlag, mergeOrgFlags, provisionedRows, type MergedFlag } from '../domain/flags.js';
import type { SetFlagBody } from '../domain/schemas.js';

/** What every use case needs: the registry in force and the flag store. */
export interface Deps {
  readonly registry: Registry;
  readonly store: FlagStore;
}

/** The registry as the caller may see it: orgs do not see internal-only flags or retired keys. */
export function listFlags(registry: Registry, caller: Caller) {
  const staff = seesInternalFlags(caller);
  const flags: FlagDefinition[] = registry.flags.filter((flag) => staff || !flag.internal_only);
  return {
    registry_version: registry.version,
    flags,
    ...(staff ? { retired: registry.retired } : {}),
  };
}

/** The merged view of one org; an org the caller may not see is reported exactly like a missing one. */
export async function getOrgFlags({ registry, store }: Deps, caller: Caller, orgId: string) {
  if (!canSeeOrg(caller, orgId)) throw orgNotFound(orgId);
  const { org, rows } = await store.getOrgState(orgId);
  if (!org) throw orgNotFound(orgId);
  const { flags, orphanKeys } = mergeOrgFlags(registry, rows, { includeInternal: seesInternalFlags(caller) });
  return {
    body: {
      org_id: orgId,
      registry_version: registry.version,
      provisioned_registry_version: org.registryVersion,
      synced_registry_version: org.syncedRegistryVersion ?? null,
      flags,
    },
    orphanKeys,
  };
}

/** Result of setting one flag: the flag as it now stands, and whether anything changed. */
export interface SetFlagResult {
  org_id: string;
  changed: boolean;
  previous_enabled: boolean;
  flag: MergedFlag;
}

/** Sets one flag of one org for a person; admins only, registry keys only. */
export async function setOrgFlag(
  { registry, store }: Deps,
  caller: Caller,
  body: SetFlagBody,
  context: { requestId: string; now: Date },
): Promise<SetFlagResult> {
  if (caller.role !== 'admin') throw new ForbiddenError('forbidden', 'Only platform admins may change flags.');
  const definition = registry.byKey.get(body.key);
  if (!definition) throw new UnknownFlagError(body.key, registry.flags.map((flag) => flag.key));

  const outcome = await store.applyChange({
    orgId: body.org_id,
    key: body.key,
    enabled: body.enabled,
    ...(body.version === undefined ? {} : { expectedVersion: body.version }),
    registryDefault: definition.default_enabled,
    actor: caller.id,
    requestId: context.requestId,
    now: context.now,
  });
  switch (outcome.kind) {
    case 'org_not_found':
      throw orgNotFound(body.org_id);
    case 'version_conflict':
      throw new ConflictError(
        'version_conflict',
        `Flag '${body.key}' of org '${body.org_id}' is at version ${outcome.current?.version ?? 0}${body.version === undefined ? '' : `, not ${body.version}`}.`,
        { current_version: outcome.current?.version ?? 0 },
      );
    case 'unchanged':
      return { org_id: body.org_id, changed: false, previous_enabled: outcome.row.enabled, flag: mergeFlag(definition, outcome.row) };
    case 'changed':
      return { org_id: body.org_id, changed: true, previous_enabled: outcome.previousEnabled, flag: mergeFlag(definition, outcome.row) };
  }
}

/** How provisioning went for one org. */
export interface ProvisionResult {
  org_id: string;
  /** True when this call provisioned the org; false when it already was. */
  provisioned: boolean;
  rows_written: number;
  registry_version: string;
}

/**
 * Gives an org one explicit row per registry flag, holding the registry default, then marks the
 * org provisioned. Rows are written only where none exists, and the org record last, so a
 * repeated, concurrent or resumed call never overwrites a row and never exposes a half-provisioned org.
 */
export async function provisionOrg(
  { registry, store }: Deps,
  orgId: string,
  context: { actor: string; now: Date },
): Promise<ProvisionResult> {
  const existing = await store.getOrg(orgId);
  if (existing) {
    return { org_id: orgId, provisioned: false, rows_written: 0, registry_version: existing.registryVersion };
  }
  const rowsWritten = await store.putRowsIfAbsent(provisionedRows(registry, orgId, context.now, context.actor));
  const provisioned = await store.putOrgIfAbsent({
    orgId,
    provisionedAt: context.now.toISOString(),
    registryVersion: registry.version,
    provisionedBy: context.actor,
  });
  return { org_id: orgId, provisioned, rows_written: rowsWritten, registry_version: registry.version };
}
