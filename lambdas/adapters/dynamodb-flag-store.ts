import {
  TransactionCanceledException,
  TransactionConflictException,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import pMap from 'p-map';
import { ConflictError, DependencyUnavailableError } from '../domain/errors.js';
import { conditionally, guard, paged, putIfAbsent } from './dynamodb-calls.js';
import type {
  FlagChange,
  FlagChangeOutcome,
  FlagStore,
  HistoryPage,
  HistoryPosition,
  OrgState,
  StorePage,
} from '../domain/flag-store.js';
import { changeIdOf, type HistoryEntry } from '../domain/history.js';
import type { FleetStore, OrgSnapshot, StoreCursor, StoredItem } from '../domain/job-store.js';
import type { FlagRow, FlagSource, FlagState, OrgRecord } from '../domain/flags.js';
import {
  attributeChangeFields,
  sortedAttributes,
  type AttributeChange,
  type AttributeValues,
} from '../domain/org-attributes.js';

const ORG_SK = '#ORG';
const FLAG_PREFIX = 'FLAG#';
const orgPk = (orgId: string) => `ORG#${orgId}`;
const HISTORY_PREFIX = 'HIST#';
const historyPk = (orgId: string) => `${HISTORY_PREFIX}${orgId}`;
/** An org's attribute changes, newest last by sort key. */
const attributeLogPk = (orgId: string) => `ATTRS#${orgId}`;
const flagKey = (orgId: string, key: string) => ({ pk: orgPk(orgId), sk: `${FLAG_PREFIX}${key}` });
const orgKey = (orgId: string) => ({ pk: orgPk(orgId), sk: ORG_SK });
const MAX_CHANGE_ATTEMPTS = 4;
/** Conditional puts in flight at once when many rows are written (an org's provisioning, a sync page). */
export const ROW_PUT_CONCURRENCY = 16;
/** The `orgs` index: every org record under one partition value, sorted by org id. */
const ORGS_INDEX = 'orgs';
const ORGS_PARTITION = 'ORG';
/** The `by-flag` index holds each flag's rows (`FLAG#<key>`, by org id) and its history (`CHANGES#<key>`, by time). */
const BY_FLAG_INDEX = 'by-flag';
const flagHistoryPartition = (key: string) => `CHANGES#${key}`;
/** A history entry's sort key in its org's partition, and in its flag's partition of the `by-flag` index. */
const historySk = (changedAt: string, key: string, version: number) => `${changedAt}#${key}#${version}`;
const flagHistorySk = (changedAt: string, orgId: string, version: number) => `${changedAt}#${orgId}#${version}`;

/** Waits a little, with jitter, before retrying a transaction that collided with another: 10–30 ms, then doubling. */
const backOff = (retry: number) =>
  new Promise((resolve) => setTimeout(resolve, (10 + Math.random() * 20) * 2 ** retry));
/** Cancellation reasons that mean DynamoDB is throttling: answered 503, never retried as contention. */
const THROTTLING_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
/** The transaction collided with another one on the same item: worth retrying. */
const collided = (reasons: readonly CancellationReason[]) =>
  reasons.some((reason) => reason.Code === 'TransactionConflict');
const unexpectedCancellation = (reasons: readonly CancellationReason[]) =>
  new Error(`Transaction cancelled: ${reasons.map((reason) => reason.Code ?? 'None').join(', ')}`);

/** DynamoDB item attributes, as stored. Key layout: see docs/architecture.md. */
type Item = Record<string, unknown>;

/** The flag store on one DynamoDB table (layout declared in lib/service/table.ts), for requests and for jobs over all orgs. */
export class DynamoDbFlagStore implements FlagStore, FleetStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getOrgState(orgId: string): Promise<OrgState> {
    const { org, rows } = await this.getOrgSnapshot(orgId);
    return { org, rows };
  }

  /** One strongly consistent Query of the org's partition (per 1 MB page): its record and flag rows. */
  async getOrgSnapshot(orgId: string): Promise<OrgSnapshot> {
    let org: OrgRecord | undefined;
    const rows: FlagRow[] = [];
    const stored = new Map<string, StoredItem>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await guard(
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': orgPk(orgId) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (item.sk === ORG_SK) org = toOrgRecord(item);
        else if (typeof item.sk === 'string' && item.sk.startsWith(FLAG_PREFIX)) {
          const row = toFlagRow(item);
          rows.push(row);
          stored.set(row.key, item);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { org, rows, stored };
  }

  async countOrgs(): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.queryOrgs({ Select: 'COUNT', ExclusiveStartKey: startKey });
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async listOrgs(limit: number, cursor?: StoreCursor): Promise<{ orgs: OrgRecord[]; next?: StoreCursor }> {
    const page = await this.queryOrgs({
      Limit: limit,
      ExclusiveStartKey: cursor as Record<string, unknown> | undefined,
    });
    const orgs = (page.Items ?? []).map(toOrgRecord);
    return page.LastEvaluatedKey ? { orgs, next: page.LastEvaluatedKey } : { orgs };
  }

  /** One page of the `orgs` index. */
  private queryOrgs(
    page: Pick<QueryCommandInput, 'Select' | 'Limit' | 'ExclusiveStartKey'>,
  ): Promise<QueryCommandOutput> {
    return guard(
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ORGS_INDEX,
          KeyConditionExpression: 'gsi2pk = :org',
          ExpressionAttributeValues: { ':org': ORGS_PARTITION },
          ...page,
        }),
      ),
    );
  }

  async markOrgSynced(orgId: string, registryVersion: string, at: string): Promise<void> {
    // An org record that vanished meanwhile is left alone.
    await conditionally(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orgKey(orgId),
          UpdateExpression: 'SET synced_registry_version = :version, synced_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':version': registryVersion, ':at': at },
        }),
      ),
    );
  }

  deleteRowIfUnchanged(orgId: string, key: string, version: number): Promise<boolean> {
    return conditionally(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: flagKey(orgId, key),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': version },
        }),
      ),
    );
  }

  restoreRowIfAbsent(row: FlagRow): Promise<boolean> {
    return putIfAbsent(this.client, this.tableName, flagItem(row));
  }

  async getOrg(orgId: string): Promise<OrgRecord | undefined> {
    const result = await guard(
      this.client.send(new GetCommand({ TableName: this.tableName, Key: orgKey(orgId), ConsistentRead: true })),
    );
    return result.Item ? toOrgRecord(result.Item) : undefined;
  }

  async putRowsIfAbsent(rows: readonly FlagRow[]): Promise<number> {
    const written = await pMap(rows, (row) => putIfAbsent(this.client, this.tableName, flagItem(row)), {
      concurrency: ROW_PUT_CONCURRENCY,
    });
    return written.filter(Boolean).length;
  }

  putOrgIfAbsent(org: OrgRecord): Promise<boolean> {
    return putIfAbsent(this.client, this.tableName, orgItem(org));
  }

  async setOrgAttributes(
    change: AttributeChange,
    expectedAt: string | undefined,
    { audited }: { audited: boolean },
  ): Promise<'changed' | 'conflict' | 'org_not_found'> {
    const audit = {
      Put: {
        TableName: this.tableName,
        Item: {
          pk: attributeLogPk(change.orgId),
          sk: `${change.changedAt}#${change.requestId}`,
          type: 'attributes',
          org_id: change.orgId,
          ...attributeChangeFields(change),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const reasons = await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: orgKey(change.orgId),
          UpdateExpression: 'SET #attributes = :attributes, attributes_at = :at, attributes_by = :by',
          ConditionExpression:
            expectedAt === undefined
              ? 'attribute_exists(pk) AND attribute_not_exists(attributes_at)'
              : 'attribute_exists(pk) AND attributes_at = :expected',
          ExpressionAttributeNames: { '#attributes': 'attributes' },
          ExpressionAttributeValues: {
            ':attributes': change.attributes,
            ':at': change.occurredAt,
            ':by': change.changedBy,
            ...(expectedAt === undefined ? {} : { ':expected': expectedAt }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      },
      ...(audited ? [audit] : []),
    ]);
    if (!reasons) return 'changed';
    if (reasons[0]?.Code === 'ConditionalCheckFailed') return reasons[0].Item ? 'conflict' : 'org_not_found';
    if (reasons[1]?.Code === 'ConditionalCheckFailed' || collided(reasons)) return 'conflict';
    throw unexpectedCancellation(reasons);
  }

  async attributeChanges(orgId: string, limit: number): Promise<AttributeChange[]> {
    const page = await guard(
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': attributeLogPk(orgId) },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    );
    return (page.Items ?? []).map((item) => ({
      orgId: String(item.org_id),
      attributes: attributeValues(item.attributes) ?? {},
      previous: attributeValues(item.previous) ?? {},
      occurredAt: String(item.occurred_at),
      changedAt: String(item.changed_at),
      changedBy: String(item.changed_by),
      source: item.source === 'admin' ? 'admin' : 'event',
      requestId: String(item.request_id),
    }));
  }

  /**
   * One transaction: the row must hold the other value (and the expected version, if given), and
   * the history entry is written with it. When the condition fails, the row's old image says why,
   * so no read is spent on the common path. Only a missing row (unknown org, or a flag added after
   * the org was provisioned) costs more calls.
   */
  async applyChange(change: FlagChange): Promise<FlagChangeOutcome> {
    let version = change.now.getTime();
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt++) {
      if (attempt > 0) await backOff(attempt - 1);
      const state: FlagState = {
        orgId: change.orgId,
        key: change.key,
        enabled: change.enabled,
        version,
        source: 'admin',
        updatedAt: change.now.toISOString(),
        updatedBy: change.actor,
        ...(change.actorEmail ? { updatedByEmail: change.actorEmail } : {}),
      };
      const reasons = await this.transact([
        { Update: this.flipRow(change, state) },
        { Put: this.historyEntry(change, state, !change.enabled) },
      ]);
      if (!reasons) return { kind: 'changed', row: state, previousEnabled: !change.enabled };
      if (reasons[0]?.Code !== 'ConditionalCheckFailed') {
        if (collided(reasons)) continue;
        throw unexpectedCancellation(reasons);
      }
      const old = reasons[0].Item ? toFlagRow(unmarshall(reasons[0].Item as never)) : undefined;
      if (!old) {
        if (!(await this.getOrg(change.orgId))) return { kind: 'org_not_found' };
        if (change.expectedVersion !== undefined && change.expectedVersion !== 0)
          return { kind: 'version_conflict', current: undefined };
        const created = await this.createRow(change, state);
        if (created) return created;
        continue;
      }
      if (change.expectedVersion !== undefined && old.version !== change.expectedVersion)
        return { kind: 'version_conflict', current: old };
      if (old.enabled === change.enabled) return { kind: 'unchanged', row: old };
      version = Math.max(version, old.version + 1);
    }
    throw new ConflictError(
      'concurrent_change',
      `Flag '${change.key}' of org '${change.orgId}' is being changed concurrently; retry.`,
    );
  }

  private flipRow(change: FlagChange, state: FlagState) {
    const sets = [
      '#enabled = :enabled',
      '#version = :version',
      '#source = :source',
      '#updated_at = :at',
      '#updated_by = :by',
    ];
    if (change.enabled) sets.push('#enabled_at = :at');
    const update =
      `SET ${sets.join(', ')}${state.updatedByEmail ? ', #email = :email' : ''} ${state.updatedByEmail ? '' : 'REMOVE #email'}`.trim();
    const conditions = ['attribute_exists(pk)', '#enabled <> :enabled', '#version < :version'];
    if (change.expectedVersion !== undefined) conditions.push('#version = :expected');
    return {
      TableName: this.tableName,
      Key: flagKey(change.orgId, change.key),
      UpdateExpression: update,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: {
        '#enabled': 'enabled',
        '#version': 'version',
        '#source': 'source',
        '#updated_at': 'updated_at',
        '#updated_by': 'updated_by',
        '#email': 'updated_by_email',
        ...(change.enabled ? { '#enabled_at': 'enabled_at' } : {}),
      },
      ExpressionAttributeValues: {
        ':enabled': state.enabled,
        ':version': state.version,
        ':source': state.source,
        ':at': state.updatedAt,
        ':by': state.updatedBy,
        ...(state.updatedByEmail ? { ':email': state.updatedByEmail } : {}),
        ...(change.expectedVersion !== undefined ? { ':expected': change.expectedVersion } : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  /** The org has no row for this flag yet (added after the org was provisioned): create it. */
  private async createRow(change: FlagChange, state: FlagState): Promise<FlagChangeOutcome | undefined> {
    const row: FlagRow = {
      ...state,
      createdAt: state.updatedAt,
      ...(state.enabled ? { enabledAt: state.updatedAt } : {}),
    };
    const reasons = await this.transact([
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: orgKey(change.orgId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      { Put: { TableName: this.tableName, Item: flagItem(row), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: this.historyEntry(change, state, change.registryDefault) },
    ]);
    if (!reasons) return { kind: 'changed', row: state, previousEnabled: change.registryDefault };
    if (reasons[0]?.Code === 'ConditionalCheckFailed') return { kind: 'org_not_found' };
    // The row was created meanwhile (by a sync or another change), or the transaction collided: the caller tries again.
    if (reasons[1]?.Code === 'ConditionalCheckFailed' || collided(reasons)) return undefined;
    throw unexpectedCancellation(reasons);
  }

  private historyEntry(change: FlagChange, state: FlagState, previousEnabled: boolean) {
    const sk = historySk(state.updatedAt, change.key, state.version);
    return {
      TableName: this.tableName,
      Item: {
        pk: historyPk(change.orgId),
        sk,
        type: 'change',
        change_id: changeIdOf(change.orgId, sk),
        org_id: change.orgId,
        key: change.key,
        enabled: state.enabled,
        previous_enabled: previousEnabled,
        version: state.version,
        source: state.source,
        changed_by: change.actor,
        changed_by_email: change.actorEmail,
        changed_at: state.updatedAt,
        request_id: change.requestId,
        expected_version: change.expectedVersion,
        gsi1pk: flagHistoryPartition(change.key),
        gsi1sk: flagHistorySk(state.updatedAt, change.orgId, state.version),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  async getFlag(orgId: string, key: string): Promise<{ row: FlagRow | undefined; orgExists: boolean }> {
    const result = await guard(
      this.client.send(new GetCommand({ TableName: this.tableName, Key: flagKey(orgId, key), ConsistentRead: true })),
    );
    if (result.Item) return { row: toFlagRow(result.Item), orgExists: true };
    return { row: undefined, orgExists: (await this.getOrg(orgId)) !== undefined };
  }

  async findOrgs({
    prefix,
    after,
    limit,
  }: {
    prefix?: string;
    after?: string;
    limit: number;
  }): Promise<StorePage<OrgRecord>> {
    const page = await paged(
      after !== undefined,
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ORGS_INDEX,
          KeyConditionExpression: prefix ? 'gsi2pk = :org AND begins_with(gsi2sk, :prefix)' : 'gsi2pk = :org',
          ExpressionAttributeValues: { ':org': ORGS_PARTITION, ...(prefix ? { ':prefix': prefix } : {}) },
          Limit: limit,
          ...(after ? { ExclusiveStartKey: { ...orgKey(after), gsi2pk: ORGS_PARTITION, gsi2sk: after } } : {}),
        }),
      ),
    );
    return { items: (page.Items ?? []).map(toOrgRecord), more: page.LastEvaluatedKey !== undefined };
  }

  async flagRows({ key, after, limit }: { key: string; after?: string; limit: number }): Promise<StorePage<FlagRow>> {
    const partition = `${FLAG_PREFIX}${key}`;
    const page = await paged(
      after !== undefined,
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_FLAG_INDEX,
          KeyConditionExpression: 'gsi1pk = :flag',
          ExpressionAttributeValues: { ':flag': partition },
          Limit: limit,
          ...(after ? { ExclusiveStartKey: { ...flagKey(after, key), gsi1pk: partition, gsi1sk: after } } : {}),
        }),
      ),
    );
    return { items: (page.Items ?? []).map(toFlagRow), more: page.LastEvaluatedKey !== undefined };
  }

  /** One org's history, newest first, from the org's own partition (`after` names only the entry to continue after). */
  async orgHistory({
    orgId,
    key,
    after,
    limit,
  }: {
    orgId: string;
    key?: string;
    after?: HistoryPosition;
    limit: number;
  }) {
    const partition = historyPk(orgId);
    return this.historyPage(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ...(key ? { FilterExpression: '#key = :key', ExpressionAttributeNames: { '#key': 'key' } } : {}),
        ExpressionAttributeValues: { ':pk': partition, ...(key ? { ':key': key } : {}) },
        ScanIndexForward: false,
        Limit: limit,
        ...(after
          ? { ExclusiveStartKey: { pk: partition, sk: historySk(after.changedAt, after.key, after.version) } }
          : {}),
      },
      (last) => ({ ...fromHistorySk(String(last.sk)), orgId }),
    );
  }

  /** One flag's history across orgs, newest first, from the flag's own partition of the `by-flag` index. */
  async flagHistory({ key, after, limit }: { key: string; after?: HistoryPosition; limit: number }) {
    const partition = flagHistoryPartition(key);
    return this.historyPage(
      {
        TableName: this.tableName,
        IndexName: BY_FLAG_INDEX,
        KeyConditionExpression: 'gsi1pk = :changes',
        ExpressionAttributeValues: { ':changes': partition },
        ScanIndexForward: false,
        Limit: limit,
        ...(after
          ? {
              ExclusiveStartKey: {
                pk: historyPk(after.orgId),
                sk: historySk(after.changedAt, key, after.version),
                gsi1pk: partition,
                gsi1sk: flagHistorySk(after.changedAt, after.orgId, after.version),
              },
            }
          : {}),
      },
      (last) => ({ ...fromHistorySk(String(last.sk)), orgId: String(last.pk).slice(HISTORY_PREFIX.length) }),
    );
  }

  private async historyPage(
    input: QueryCommandInput,
    positionOf: (lastEvaluated: Record<string, unknown>) => HistoryPosition,
  ): Promise<HistoryPage> {
    const page = await paged(input.ExclusiveStartKey !== undefined, this.client.send(new QueryCommand(input)));
    const last = page.LastEvaluatedKey;
    return { items: (page.Items ?? []).map(toHistoryEntry), ...(last ? { next: positionOf(last) } : {}) };
  }

  /**
   * Runs a transaction; returns undefined when it committed, or the cancellation reasons (a thrown
   * TransactionConflictException as the reason `TransactionConflict`). Throttling, thrown or as a
   * reason, is a DependencyUnavailableError (503).
   */
  private async transact(
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  ): Promise<CancellationReason[] | undefined> {
    try {
      await guard(this.client.send(new TransactWriteCommand({ TransactItems: items })));
      return undefined;
    } catch (error) {
      if (error instanceof TransactionConflictException) return [{ Code: 'TransactionConflict' }];
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons.some((reason) => THROTTLING_REASONS.has(reason.Code ?? ''))) {
        throw new DependencyUnavailableError('The flag store is throttling requests; retry shortly.', 1);
      }
      return reasons;
    }
  }
}

/** The org record as stored. */
export function orgItem(org: OrgRecord): Item {
  return {
    ...orgKey(org.orgId),
    type: 'org',
    org_id: org.orgId,
    provisioned_at: org.provisionedAt,
    registry_version: org.registryVersion,
    provisioned_by: org.provisionedBy,
    ...(org.attributes ? { attributes: org.attributes } : {}),
    ...(org.attributesAt ? { attributes_at: org.attributesAt } : {}),
    ...(org.attributesBy ? { attributes_by: org.attributesBy } : {}),
    gsi2pk: ORGS_PARTITION,
    gsi2sk: org.orgId,
  };
}

/** A flag row as stored. */
export function flagItem(row: FlagRow): Item {
  return {
    ...flagKey(row.orgId, row.key),
    type: 'flag',
    org_id: row.orgId,
    key: row.key,
    enabled: row.enabled,
    version: row.version,
    source: row.source,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    updated_by: row.updatedBy,
    updated_by_email: row.updatedByEmail,
    enabled_at: row.enabledAt,
    gsi1pk: `${FLAG_PREFIX}${row.key}`,
    gsi1sk: row.orgId,
  };
}

/** A flag row from its stored item. */
export function toFlagRow(item: Item): FlagRow {
  return {
    orgId: String(item.org_id),
    key: String(item.key),
    enabled: item.enabled === true,
    version: Number(item.version),
    source: item.source as FlagSource,
    createdAt: String(item.created_at),
    updatedAt: String(item.updated_at),
    updatedBy: String(item.updated_by),
    ...(typeof item.updated_by_email === 'string' ? { updatedByEmail: item.updated_by_email } : {}),
    ...(typeof item.enabled_at === 'string' ? { enabledAt: item.enabled_at } : {}),
  };
}

function toOrgRecord(item: Item): OrgRecord {
  return {
    orgId: String(item.org_id),
    provisionedAt: String(item.provisioned_at),
    registryVersion: String(item.registry_version),
    provisionedBy: String(item.provisioned_by),
    ...(typeof item.synced_registry_version === 'string'
      ? { syncedRegistryVersion: item.synced_registry_version }
      : {}),
    ...(typeof item.synced_at === 'string' ? { syncedAt: item.synced_at } : {}),
    ...(item.attributes !== undefined ? { attributes: attributeValues(item.attributes) ?? {} } : {}),
    ...(typeof item.attributes_at === 'string' ? { attributesAt: item.attributes_at } : {}),
    ...(typeof item.attributes_by === 'string' ? { attributesBy: item.attributes_by } : {}),
  };
}

/** A stored map of attribute values, in name order (DynamoDB keeps none); anything but strings in it is dropped. */
function attributeValues(stored: unknown): AttributeValues | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  return sortedAttributes(
    Object.fromEntries(
      Object.entries(stored).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    ),
  );
}

/** The entry's time, flag and version from its sort key (`<ISO time>#<key>#<version>`; neither time nor version holds `#`). */
function fromHistorySk(sk: string): Omit<HistoryPosition, 'orgId'> {
  const first = sk.indexOf('#');
  const last = sk.lastIndexOf('#');
  return { changedAt: sk.slice(0, first), key: sk.slice(first + 1, last), version: Number(sk.slice(last + 1)) };
}

function toHistoryEntry(item: Item): HistoryEntry {
  const orgId = String(item.org_id);
  const sk = String(item.sk);
  return {
    changeId: typeof item.change_id === 'string' ? item.change_id : changeIdOf(orgId, sk),
    orgId,
    key: String(item.key),
    previousEnabled: item.previous_enabled === true,
    enabled: item.enabled === true,
    version: Number(item.version),
    source: (item.source as FlagSource | undefined) ?? 'admin',
    changedBy: String(item.changed_by),
    ...(typeof item.changed_by_email === 'string' ? { changedByEmail: item.changed_by_email } : {}),
    changedAt: String(item.changed_at),
    requestId: String(item.request_id),
  };
}
