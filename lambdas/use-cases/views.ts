import type { FlagDefinition } from '../../registry/index.js';
import { canSeeOrg, seesInternalFlags, type Caller } from '../domain/caller.js';
import { UnknownFlagError, flagNotFound, orgNotFound } from '../domain/errors.js';
import type { HistoryPage, HistoryPosition, StorePage } from '../domain/flag-store.js';
import { mergeFlag, type FlagRow, type OrgRecord } from '../domain/flags.js';
import { historyView } from '../domain/history.js';
import { matchesAttributes, type AttributeFilter } from '../domain/org-attributes.js';
import type { Deps } from './flags.js';
import { orgView } from './orgs.js';

/**
 * Most store reads one page request may make when a filter leaves pages sparse; the answer then
 * holds fewer items than asked for and a cursor to go on from.
 */
export const MAX_READS_PER_PAGE = 5;

/** Org records one read of a filtered org list takes from the `orgs` index. */
export const FILTERED_READ_SIZE = 200;

/** A page of results and, when there may be more, the position the next page starts after. */
export interface Page<T, P> {
  readonly items: T[];
  readonly next?: P;
}

/**
 * Reads pages until `limit` items pass `keep`, the listing ends, or the read budget
 * ({@link MAX_READS_PER_PAGE}) is spent. The next page starts after the last item kept when the
 * page filled up, else after the last item read.
 */
export async function filteredPage<T, P>(
  limit: number,
  after: P | undefined,
  read: (after: P | undefined) => Promise<Page<T, P>>,
  keep: (item: T) => boolean,
  positionOf: (item: T) => P,
): Promise<Page<T, P>> {
  const items: T[] = [];
  let position = after;
  for (let reads = 0; reads < MAX_READS_PER_PAGE; reads++) {
    const page = await read(position);
    for (const [index, item] of page.items.entries()) {
      if (!keep(item)) continue;
      items.push(item);
      if (items.length === limit) {
        const atEnd = page.next === undefined && index === page.items.length - 1;
        return { items, ...(atEnd ? {} : { next: positionOf(item) }) };
      }
    }
    if (page.next === undefined) return { items };
    position = page.next;
  }
  return { items, ...(position === undefined ? {} : { next: position }) };
}

/** A store page as a {@link Page}: it continues after its last item when the store holds more. */
export function continuing<T, P>(page: StorePage<T>, positionOf: (item: T) => P): Page<T, P> {
  const last = page.items.at(-1);
  return { items: page.items, ...(page.more && last !== undefined ? { next: positionOf(last) } : {}) };
}

/**
 * Orgs in org id order, optionally only those whose id starts with `prefix` and whose attributes
 * pass `filter`. A filtered page reads whole pages of the `orgs` index (at most
 * {@link MAX_READS_PER_PAGE} of {@link FILTERED_READ_SIZE} records) and keeps the matches: a rare
 * value gives short pages, each with a cursor to go on from.
 */
export async function listOrgs(
  { store }: Deps,
  query: { prefix?: string; after?: string; limit: number; filter?: AttributeFilter },
): Promise<Page<ReturnType<typeof orgView>, string>> {
  const { filter, prefix } = query;
  const filtered = filter !== undefined && Object.keys(filter).length > 0;
  const orgId = (org: OrgRecord) => org.orgId;
  const page = await filteredPage(
    query.limit,
    query.after,
    async (after) =>
      continuing(
        await store.findOrgs({
          ...(prefix ? { prefix } : {}),
          ...(after ? { after } : {}),
          limit: filtered ? FILTERED_READ_SIZE : query.limit,
        }),
        orgId,
      ),
    (org) => !filtered || matchesAttributes(org.attributes, filter),
    orgId,
  );
  return { items: page.items.map(orgView), ...(page.next ? { next: page.next } : {}) };
}

/** The definition of a flag the caller asks about by key; staff learn the valid keys, orgs only that it is not theirs to see. */
function definitionFor({ registry }: Deps, caller: Caller, key: string): FlagDefinition {
  const definition = registry.byKey.get(key);
  if (definition && (seesInternalFlags(caller) || !definition.internal_only)) return definition;
  if (!seesInternalFlags(caller)) throw flagNotFound(key);
  throw new UnknownFlagError(
    key,
    registry.flags.map((flag) => flag.key),
  );
}

/** One flag of one org: its row (one GetItem) merged with the registry. */
export async function getOrgFlag(deps: Deps, caller: Caller, orgId: string, key: string) {
  if (!canSeeOrg(caller, orgId)) throw orgNotFound(orgId);
  const definition = definitionFor(deps, caller, key);
  const { row, orgExists } = await deps.store.getFlag(orgId, key);
  if (!orgExists) throw orgNotFound(orgId);
  return { org_id: orgId, flag: mergeFlag(definition, row) };
}

/** One org's state of one flag, as the by-flag view lists it. */
export function flagOrgView(definition: FlagDefinition, orgId: string, row: FlagRow | undefined) {
  const merged = mergeFlag(definition, row);
  return {
    org_id: orgId,
    enabled: merged.user_enabled,
    is_default: merged.is_default,
    source: merged.source,
    version: merged.version,
    updated_at: merged.updated_at,
    updated_by: merged.updated_by,
    updated_by_email: merged.updated_by_email,
  };
}

/**
 * Every provisioned org's state of one flag, in org id order: the org list (`orgs` index) merged
 * with the flag's rows (`by-flag` index), read side by side, so an org without a row yet (a flag
 * added since its last sync) is listed with `is_default: true` rather than missed. Rows of orgs
 * that have no org record (never fully provisioned) are not listed. The position is the last org
 * id listed, so toggles meanwhile neither repeat nor skip an org.
 */
export async function flagAcrossOrgs(
  deps: Deps,
  caller: Caller,
  query: { key: string; enabled?: boolean; after?: string; limit: number },
): Promise<{ definition: FlagDefinition } & Page<ReturnType<typeof flagOrgView>, string>> {
  const definition = definitionFor(deps, caller, query.key);
  const items: ReturnType<typeof flagOrgView>[] = [];
  let after = query.after;
  for (let read = 0; read < MAX_READS_PER_PAGE; read++) {
    const [orgs, rows] = await Promise.all([
      deps.store.findOrgs({ ...(after ? { after } : {}), limit: query.limit }),
      deps.store.flagRows({ key: query.key, ...(after ? { after } : {}), limit: query.limit }),
    ]);
    // Both lists are complete up to the smaller of their last ids (or to the end, when one is exhausted).
    const bounds = [
      orgs.more ? orgs.items.at(-1)?.orgId : undefined,
      rows.more ? rows.items.at(-1)?.orgId : undefined,
    ].filter((id): id is string => id !== undefined);
    const bound = bounds.length > 0 ? bounds.reduce((a, b) => (a < b ? a : b)) : undefined;
    const rowsByOrg = new Map(rows.items.map((row) => [row.orgId, row]));
    const listed = orgs.items.filter((org) => bound === undefined || org.orgId <= bound);
    for (const [index, org] of listed.entries()) {
      const item = flagOrgView(definition, org.orgId, rowsByOrg.get(org.orgId));
      if (query.enabled !== undefined && item.enabled !== query.enabled) continue;
      items.push(item);
      if (items.length === query.limit) {
        const atEnd = bound === undefined && index === listed.length - 1;
        return { definition, items, ...(atEnd ? {} : { next: org.orgId }) };
      }
    }
    if (bound === undefined) return { definition, items };
    after = bound;
  }
  return { definition, items, ...(after ? { next: after } : {}) };
}

/** Reads history pages until `limit` entries are in hand, the history ends, or the read budget is spent. */
async function collectHistory(
  limit: number,
  after: HistoryPosition | undefined,
  read: (after: HistoryPosition | undefined, limit: number) => Promise<HistoryPage>,
) {
  const items: ReturnType<typeof historyView>[] = [];
  let next = after;
  for (let reads = 0; reads < MAX_READS_PER_PAGE; reads++) {
    const page = await read(next, limit - items.length);
    items.push(...page.items.map(historyView));
    next = page.next;
    if (!next || items.length >= limit) break;
  }
  return { items, ...(next ? { next } : {}) };
}

/** One org's changes, newest first, optionally of one flag only. An org with no history that does not exist is a 404. */
export async function orgHistory(
  deps: Deps,
  query: { orgId: string; key?: string; after?: HistoryPosition; limit: number },
) {
  const page = await collectHistory(query.limit, query.after, (after, limit) =>
    deps.store.orgHistory({
      orgId: query.orgId,
      ...(query.key ? { key: query.key } : {}),
      ...(after ? { after } : {}),
      limit,
    }),
  );
  if (page.items.length === 0 && !query.after && !(await deps.store.getOrg(query.orgId)))
    throw orgNotFound(query.orgId);
  return page;
}

/** One flag's changes across every org, newest first; retired keys keep their history. */
export async function flagHistory(deps: Deps, query: { key: string; after?: HistoryPosition; limit: number }) {
  return collectHistory(query.limit, query.after, (after, limit) =>
    deps.store.flagHistory({ key: query.key, ...(after ? { after } : {}), limit }),
  );
}
