import type { FlagDefinition, Registry } from '../../registry/index.js';
import { canSeeOrg, seesInternalFlags, type Caller } from '../domain/caller.js';
import pMap from 'p-map';
import {
  ConflictError,
  ForbiddenError,
  PreconditionFailedError,
  ServiceError,
  UnknownFlagError,
  orgNotFound,
} from '../domain/errors.js';
import type { FlagChangeOutcome, FlagStore } from '../domain/flag-store.js';
import { mergeFlag, mergeOrgFlags, provisionedRows, type MergedFlag } from '../domain/flags.js';
import type { AttributeValues } from '../domain/org-attributes.js';
import type { BulkSetBody, SetFlagBody } from '../domain/write-schemas.js';
import { updateOrgAttributes } from './orgs.js';

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
    ...(staff
      ? {
          retired: registry.retired,
          org_attributes: { version: registry.orgAttributes.version, attributes: registry.orgAttributes.definitions },
        }
      : {}),
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

/** Where a write named the version it expects: `version` in the body (409 on mismatch) or `If-Match` (412). */
export type VersionPrecondition = 'body' | 'if-match';

/** Who asks for a change, and under which request. */
export interface ChangeContext {
  readonly requestId: string;
  readonly now: Date;
}

function registryFlag(registry: Registry, key: string): FlagDefinition {
  const definition = registry.byKey.get(key);
  if (!definition)
    throw new UnknownFlagError(
      key,
      registry.flags.map((flag) => flag.key),
    );
  return definition;
}

function requireAdmin(caller: Caller): void {
  if (caller.role !== 'admin') throw new ForbiddenError('forbidden', 'Only platform admins may change flags.');
}

/** Applies one person's change to one org's flag through the one audited write path. */
function applyChange(
  store: FlagStore,
  caller: Caller,
  definition: FlagDefinition,
  orgId: string,
  enabled: boolean,
  expectedVersion: number | undefined,
  context: ChangeContext,
) {
  return store.applyChange({
    orgId,
    key: definition.key,
    enabled,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    registryDefault: definition.default_enabled,
    actor: caller.id,
    ...(caller.email ? { actorEmail: caller.email } : {}),
    requestId: context.requestId,
    now: context.now,
  });
}

/** Sets one flag of one org for a person; admins only, registry keys only. */
export async function setOrgFlag(
  { registry, store }: Deps,
  caller: Caller,
  body: SetFlagBody,
  context: ChangeContext & { precondition?: VersionPrecondition },
): Promise<SetFlagResult> {
  requireAdmin(caller);
  const definition = registryFlag(registry, body.key);
  const outcome = await applyChange(store, caller, definition, body.org_id, body.enabled, body.version, context);
  switch (outcome.kind) {
    case 'org_not_found':
      throw orgNotFound(body.org_id);
    case 'version_conflict': {
      const message = `Flag '${body.key}' of org '${body.org_id}' is at version ${outcome.current?.version ?? 0}, not ${body.version ?? 0}.`;
      const details = {
        current_version: outcome.current?.version ?? 0,
        current: mergeFlag(definition, outcome.current),
      };
      if (context.precondition === 'if-match')
        throw new PreconditionFailedError('precondition_failed', message, details);
      throw new ConflictError('version_conflict', message, details);
    }
    case 'unchanged':
      return {
        org_id: body.org_id,
        changed: false,
        previous_enabled: outcome.row.enabled,
        flag: mergeFlag(definition, outcome.row),
      };
    case 'changed':
      return {
        org_id: body.org_id,
        changed: true,
        previous_enabled: outcome.previousEnabled,
        flag: mergeFlag(definition, outcome.row),
      };
  }
}

/** How one org of a bulk change went. */
export type BulkResult =
  | { org_id: string; result: 'changed' | 'unchanged'; version: number; previous_enabled: boolean }
  | { org_id: string; result: 'org_not_found' | 'conflict' | 'error'; error: { code: string; message: string } };

/** Orgs of one bulk change written at a time. */
export const BULK_CONCURRENCY = 10;

function bulkResult(orgId: string, outcome: FlagChangeOutcome): BulkResult {
  switch (outcome.kind) {
    case 'changed':
      return {
        org_id: orgId,
        result: 'changed',
        version: outcome.row.version,
        previous_enabled: outcome.previousEnabled,
      };
    case 'unchanged':
      return {
        org_id: orgId,
        result: 'unchanged',
        version: outcome.row.version,
        previous_enabled: outcome.row.enabled,
      };
    case 'org_not_found':
      return {
        org_id: orgId,
        result: 'org_not_found',
        error: { code: 'org_not_found', message: orgNotFound(orgId).message },
      };
    case 'version_conflict':
      return {
        org_id: orgId,
        result: 'conflict',
        error: {
          code: 'version_conflict',
          message: `Flag changed meanwhile (version ${outcome.current?.version ?? 0}).`,
        },
      };
  }
}

/**
 * Sets one flag for many orgs: each org an ordinary audited write (its own transaction and
 * history entry) under one shared request id. Every org gets its own result; one failing never
 * stops or hides the others. Errors that are not the client's are logged by `onError`.
 */
export async function bulkSetFlag(
  { registry, store }: Deps,
  caller: Caller,
  key: string,
  body: BulkSetBody,
  context: ChangeContext & { onError?: (orgId: string, error: unknown) => void },
) {
  requireAdmin(caller);
  const definition = registryFlag(registry, key);
  const results = await pMap(
    body.org_ids,
    async (orgId): Promise<BulkResult> => {
      try {
        return bulkResult(orgId, await applyChange(store, caller, definition, orgId, body.enabled, undefined, context));
      } catch (error) {
        if (error instanceof ServiceError) {
          const result = error.status === 409 ? 'conflict' : 'error';
          return { org_id: orgId, result, error: { code: error.code, message: error.message } };
        }
        context.onError?.(orgId, error);
        return { org_id: orgId, result: 'error', error: { code: 'internal_error', message: 'Internal server error.' } };
      }
    },
    { concurrency: BULK_CONCURRENCY },
  );
  const counts = { changed: 0, unchanged: 0, org_not_found: 0, conflict: 0, error: 0 };
  for (const { result } of results) counts[result]++;
  return { key, enabled: body.enabled, request_id: context.requestId, counts, results };
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
  deps: Deps,
  orgId: string,
  context: { actor: string; now: Date; attributes?: ProvisionedAttributes },
): Promise<ProvisionResult> {
  const { registry, store } = deps;
  const { attributes } = context;
  const existing = await store.getOrg(orgId);
  if (existing) {
    if (attributes && Object.keys(attributes.values).length > 0)
      await updateOrgAttributes(deps, {
        orgId,
        mode: 'patch',
        values: attributes.values,
        occurredAt: attributes.occurredAt,
        actor: context.actor,
        source: 'event',
        requestId: attributes.requestId,
        now: context.now,
      });
    return { org_id: orgId, provisioned: false, rows_written: 0, registry_version: existing.registryVersion };
  }
  const rowsWritten = await store.putRowsIfAbsent(provisionedRows(registry, orgId, context.now, context.actor));
  const provisioned = await store.putOrgIfAbsent({
    orgId,
    provisionedAt: context.now.toISOString(),
    registryVersion: registry.version,
    provisionedBy: context.actor,
    ...(attributes
      ? {
          attributes: attributes.values,
          attributesAt: attributes.occurredAt,
          attributesBy: context.actor,
        }
      : {}),
  });
  return { org_id: orgId, provisioned, rows_written: rowsWritten, registry_version: registry.version };
}

/**
 * The attributes an `OrgCreated` event carries. Given to an org provisioned already (a backfill
 * before the event, or a redelivery), they are applied as an update from that time.
 */
export interface ProvisionedAttributes {
  readonly values: AttributeValues;
  readonly occurredAt: string;
  readonly requestId: string;
}
