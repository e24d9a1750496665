import type { Caller } from '../domain/caller.js';
import { ConflictError, orgNotFound } from '../domain/errors.js';
import type { OrgRecord } from '../domain/flags.js';
import {
  attributeChangeFields,
  patchAttributes,
  sameAttributes,
  type AttributeChange,
  type AttributeValues,
} from '../domain/org-attributes.js';
import type { FlagStore } from '../domain/flag-store.js';

/** What the org use cases need: the flag store alone. */
export interface OrgDeps {
  readonly store: FlagStore;
}

/** Attribute changes `GET /orgs/{org_id}` shows, newest first. */
export const ATTRIBUTE_CHANGES_SHOWN = 20;
const MAX_ATTRIBUTE_ATTEMPTS = 4;
/** Waits before trying again after another change got there first: 10–30 ms, then doubling, with jitter. */
const backOff = (retry: number) =>
  new Promise((resolve) => setTimeout(resolve, (10 + Math.random() * 20) * 2 ** retry));

/** A change to an org's attributes: from an `OrgUpdated` or `OrgCreated` event, or an admin's `PUT`. */
export interface AttributeUpdate {
  readonly orgId: string;
  /** `patch`: set the named attributes (unset those given `null`) and keep the others; `replace`: the whole set. */
  readonly mode: 'patch' | 'replace';
  readonly values: Readonly<Record<string, string | null>>;
  /** When the change happened; a change older than the attributes stored changes nothing. */
  readonly occurredAt: string;
  readonly actor: string;
  readonly source: AttributeChange['source'];
  readonly requestId: string;
  readonly now: Date;
}

/** What became of an attribute update. */
export type AttributeUpdateOutcome =
  | { readonly kind: 'changed'; readonly org: OrgRecord; readonly previous: AttributeValues }
  | { readonly kind: 'unchanged'; readonly org: OrgRecord }
  /** The stored attributes were set by a change that happened later than this one. */
  | { readonly kind: 'stale'; readonly org: OrgRecord }
  | { readonly kind: 'org_not_found' };

/**
 * Applies an attribute change with its audit entry, unless a later change is stored already. Each
 * try reads the record and writes on condition that it still holds what was read, so two changes
 * racing each other are applied in turn, never one over the other unseen. After four collisions
 * it gives up (409 `concurrent_change`; an event is then retried by its rule).
 */
export async function updateOrgAttributes(
  { store }: OrgDeps,
  update: AttributeUpdate,
): Promise<AttributeUpdateOutcome> {
  for (let attempt = 0; attempt < MAX_ATTRIBUTE_ATTEMPTS; attempt++) {
    if (attempt > 0) await backOff(attempt - 1);
    const org = await store.getOrg(update.orgId);
    if (!org) return { kind: 'org_not_found' };
    if (org.attributesAt !== undefined && update.occurredAt < org.attributesAt) return { kind: 'stale', org };
    const previous = org.attributes ?? {};
    const attributes = patchAttributes(update.mode === 'patch' ? previous : {}, update.values);
    const same = sameAttributes(previous, attributes);
    // The same values from a later change only move the time on, so that an older change still on its way stays ignored.
    if (same && org.attributesAt !== undefined && update.occurredAt <= org.attributesAt)
      return { kind: 'unchanged', org };
    const change: AttributeChange = {
      orgId: update.orgId,
      attributes,
      previous,
      occurredAt: update.occurredAt,
      changedAt: update.now.toISOString(),
      changedBy: update.actor,
      source: update.source,
      requestId: update.requestId,
    };
    const result = await store.setOrgAttributes(change, org.attributesAt, { audited: !same });
    if (result === 'org_not_found') return { kind: 'org_not_found' };
    if (result === 'changed') {
      const stored = { ...org, attributes, attributesAt: update.occurredAt, attributesBy: update.actor };
      return same ? { kind: 'unchanged', org: stored } : { kind: 'changed', org: stored, previous };
    }
  }
  throw new ConflictError(
    'concurrent_change',
    `The attributes of org '${update.orgId}' are being changed concurrently; retry.`,
  );
}

/** An org as `GET /orgs` lists it. */
export function orgView(org: OrgRecord) {
  return {
    org_id: org.orgId,
    provisioned_at: org.provisionedAt,
    registry_version: org.registryVersion,
    synced_registry_version: org.syncedRegistryVersion ?? null,
    attributes: org.attributes ?? {},
  };
}

/** The org record in full: attributes, provisioning, last sync, and the latest attribute changes. */
export function orgDetailView(org: OrgRecord, changes: readonly AttributeChange[]) {
  return {
    ...orgView(org),
    provisioned_by: org.provisionedBy,
    synced_at: org.syncedAt ?? null,
    attributes_at: org.attributesAt ?? null,
    attributes_by: org.attributesBy ?? null,
    attribute_changes: changes.map(attributeChangeFields),
  };
}

/** One org's record with its latest attribute changes; staff only (the route's scopes say so). */
export async function getOrg({ store }: OrgDeps, orgId: string) {
  const [org, changes] = await Promise.all([
    store.getOrg(orgId),
    store.attributeChanges(orgId, ATTRIBUTE_CHANGES_SHOWN),
  ]);
  if (!org) throw orgNotFound(orgId);
  return orgDetailView(org, changes);
}

/** An admin sets an org's whole set of attributes, for orgs that predate the events; audited. Answers the org as it now stands. */
export async function setOrgAttributes(
  deps: OrgDeps,
  caller: Caller,
  orgId: string,
  attributes: AttributeValues,
  context: { requestId: string; now: Date },
) {
  const outcome = await updateOrgAttributes(deps, {
    orgId,
    mode: 'replace',
    values: attributes,
    occurredAt: context.now.toISOString(),
    actor: caller.id,
    source: 'admin',
    requestId: context.requestId,
    now: context.now,
  });
  if (outcome.kind === 'org_not_found') throw orgNotFound(orgId);
  if (outcome.kind === 'stale')
    throw new ConflictError(
      'attributes_newer',
      `The attributes of org '${orgId}' were set by a change dated ${outcome.org.attributesAt}, later than this request.`,
    );
  return {
    changed: outcome.kind === 'changed',
    org: orgDetailView(outcome.org, await deps.store.attributeChanges(orgId, ATTRIBUTE_CHANGES_SHOWN)),
  };
}
