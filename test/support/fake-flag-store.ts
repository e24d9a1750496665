import type {
  FlagChange,
  FlagChangeOutcome,
  FlagStore,
  HistoryPage,
  OrgState,
  StorePage,
} from '../../lambdas/domain/flag-store.js';
import type { FlagRow, OrgRecord } from '../../lambdas/domain/flags.js';
import type { AttributeChange } from '../../lambdas/domain/org-attributes.js';

/**
 * An in-memory FlagStore with the port's semantics (conditional writes, version checks) that
 * records every call in order. `nextOutcome` forces the result of the next `applyChange`.
 */
export class FakeFlagStore implements FlagStore {
  readonly orgs = new Map<string, OrgRecord>();
  readonly rows = new Map<string, FlagRow>();
  readonly attributeLog: AttributeChange[] = [];
  readonly calls: { method: keyof FlagStore; args: unknown[] }[] = [];
  nextOutcome: FlagChangeOutcome | undefined;

  addOrg(orgId: string, registryVersion = 'v-old'): OrgRecord {
    const record = { orgId, provisionedAt: '2026-11-01T00:00:00.000Z', registryVersion, provisionedBy: 'test' };
    this.orgs.set(orgId, record);
    return record;
  }

  addRow(row: FlagRow): void {
    this.rows.set(`${row.orgId}#${row.key}`, row);
  }

  methods(): string[] {
    return this.calls.map((call) => call.method);
  }

  async getOrgState(orgId: string): Promise<OrgState> {
    this.calls.push({ method: 'getOrgState', args: [orgId] });
    return { org: this.orgs.get(orgId), rows: [...this.rows.values()].filter((row) => row.orgId === orgId) };
  }

  async getOrg(orgId: string): Promise<OrgRecord | undefined> {
    this.calls.push({ method: 'getOrg', args: [orgId] });
    return this.orgs.get(orgId);
  }

  async putRowsIfAbsent(rows: readonly FlagRow[]): Promise<number> {
    this.calls.push({ method: 'putRowsIfAbsent', args: [rows] });
    let written = 0;
    for (const row of rows) {
      const id = `${row.orgId}#${row.key}`;
      if (this.rows.has(id)) continue;
      this.rows.set(id, row);
      written++;
    }
    return written;
  }

  async putOrgIfAbsent(org: OrgRecord): Promise<boolean> {
    this.calls.push({ method: 'putOrgIfAbsent', args: [org] });
    if (this.orgs.has(org.orgId)) return false;
    this.orgs.set(org.orgId, org);
    return true;
  }

  async setOrgAttributes(
    change: AttributeChange,
    expectedAt: string | undefined,
    { audited }: { audited: boolean },
  ): Promise<'changed' | 'conflict' | 'org_not_found'> {
    this.calls.push({ method: 'setOrgAttributes', args: [change, expectedAt, { audited }] });
    const org = this.orgs.get(change.orgId);
    if (!org) return 'org_not_found';
    if (org.attributesAt !== expectedAt) return 'conflict';
    this.orgs.set(change.orgId, {
      ...org,
      attributes: change.attributes,
      attributesAt: change.occurredAt,
      attributesBy: change.changedBy,
    });
    if (audited) this.attributeLog.push(change);
    return 'changed';
  }

  async attributeChanges(orgId: string, limit: number): Promise<AttributeChange[]> {
    this.calls.push({ method: 'attributeChanges', args: [orgId, limit] });
    return this.attributeLog
      .filter((change) => change.orgId === orgId)
      .reverse()
      .slice(0, limit);
  }

  async applyChange(change: FlagChange): Promise<FlagChangeOutcome> {
    this.calls.push({ method: 'applyChange', args: [change] });
    if (this.nextOutcome) {
      const outcome = this.nextOutcome;
      this.nextOutcome = undefined;
      return outcome;
    }
    if (!this.orgs.has(change.orgId)) return { kind: 'org_not_found' };
    const id = `${change.orgId}#${change.key}`;
    const old = this.rows.get(id);
    if (change.expectedVersion !== undefined && (old?.version ?? 0) !== change.expectedVersion) {
      return { kind: 'version_conflict', current: old };
    }
    if (old && old.enabled === change.enabled) return { kind: 'unchanged', row: old };
    const at = change.now.toISOString();
    const row: FlagRow = {
      orgId: change.orgId,
      key: change.key,
      enabled: change.enabled,
      version: (old?.version ?? 0) + 1,
      source: 'admin',
      createdAt: old?.createdAt ?? at,
      updatedAt: at,
      updatedBy: change.actor,
    };
    this.rows.set(id, row);
    return { kind: 'changed', row, previousEnabled: old ? old.enabled : change.registryDefault };
  }

  async getFlag(orgId: string, key: string): Promise<{ row: FlagRow | undefined; orgExists: boolean }> {
    this.calls.push({ method: 'getFlag', args: [orgId, key] });
    const row = this.rows.get(`${orgId}#${key}`);
    return { row, orgExists: row !== undefined || this.orgs.has(orgId) };
  }

  async findOrgs(query: { prefix?: string; after?: string; limit: number }): Promise<StorePage<OrgRecord>> {
    this.calls.push({ method: 'findOrgs', args: [query] });
    const ids = [...this.orgs.keys()].filter((id) => id.startsWith(query.prefix ?? '')).sort();
    return page(
      ids.map((id) => this.orgs.get(id)!),
      (org) => org.orgId,
      query,
    );
  }

  async flagRows(query: { key: string; after?: string; limit: number }): Promise<StorePage<FlagRow>> {
    this.calls.push({ method: 'flagRows', args: [query] });
    const rows = [...this.rows.values()]
      .filter((row) => row.key === query.key)
      .sort((a, b) => (a.orgId < b.orgId ? -1 : 1));
    return page(rows, (row) => row.orgId, query);
  }

  async orgHistory(query: { orgId: string }): Promise<HistoryPage> {
    this.calls.push({ method: 'orgHistory', args: [query] });
    return { items: [] };
  }

  async flagHistory(query: { key: string }): Promise<HistoryPage> {
    this.calls.push({ method: 'flagHistory', args: [query] });
    return { items: [] };
  }
}

/** A store page as DynamoDB pages a Query: up to `limit` items after `after`, and whether more follow. */
function page<T>(
  sorted: readonly T[],
  id: (item: T) => string,
  query: { after?: string; limit: number },
): StorePage<T> {
  const rest = sorted.filter((item) => query.after === undefined || id(item) > query.after);
  return { items: rest.slice(0, query.limit), more: rest.length > query.limit };
}
