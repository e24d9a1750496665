import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { BadRequestError, ConflictError } from '../domain/errors.js';
import type { StorePage } from '../domain/flag-store.js';
import { previewOrgFields, type PreviewOrg, type RolloutStore } from '../domain/rollout-store.js';
import type { Rollout, RolloutDefinition } from '../domain/rollouts.js';
import { conditionally, guard, putIfAbsent, SortedPartition } from './dynamodb-calls.js';
import { ROW_PUT_CONCURRENCY } from './dynamodb-flag-store.js';

/** Every rollout lives in one partition, sorted by id, which sorts by creation time. */
export const ROLLOUTS_PK = 'ROLLOUTS';
/** The orgs one preview found, one item per org, sorted by org id. */
const previewPk = (previewId: string) => `PREVIEW#${previewId}`;
/** Stored definitions larger than this once compressed are refused, to stay clear of DynamoDB's 400 KB item limit. */
export const MAX_STORED_DEFINITION_BYTES = 300 * 1024;

/** Rollouts on the flag table. The definition is stored gzipped: an audience may name 10,000 org ids. */
export class DynamoDbRolloutStore implements RolloutStore {
  private readonly partition: SortedPartition;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.partition = new SortedPartition(client, tableName, ROLLOUTS_PK);
  }

  async create(rollout: Rollout): Promise<void> {
    if (!(await putIfAbsent(this.client, this.tableName, toItem(rollout)))) {
      throw new ConflictError('rollout_exists', `A rollout with id ${rollout.id} exists already.`);
    }
  }

  async get(rolloutId: string): Promise<Rollout | undefined> {
    const item = await this.partition.get(rolloutId);
    return item ? fromItem(item) : undefined;
  }

  async list(limit: number, after?: string): Promise<{ rollouts: Rollout[]; next?: string }> {
    const { items, next } = await this.partition.newestFirst(limit, after);
    return { rollouts: items.map(fromItem), ...(next ? { next } : {}) };
  }

  save(next: Rollout, expectedVersion: number): Promise<boolean> {
    return conditionally(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(next),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
  }

  async putPreviewOrgs(previewId: string, orgs: readonly PreviewOrg[]): Promise<void> {
    await pMap(
      orgs,
      (org) =>
        guard(
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { pk: previewPk(previewId), sk: org.orgId, type: 'preview-org', ...previewOrgFields(org) },
            }),
          ),
        ),
      { concurrency: ROW_PUT_CONCURRENCY },
    );
  }

  async previewOrgs({
    previewId,
    after,
    limit,
  }: {
    previewId: string;
    after?: string;
    limit: number;
  }): Promise<StorePage<PreviewOrg>> {
    const page = await new SortedPartition(this.client, this.tableName, previewPk(previewId)).inOrder(limit, after);
    return {
      items: page.items.map((item) => ({
        orgId: String(item.org_id),
        step: Number(item.step),
        outcome: item.outcome as PreviewOrg['outcome'],
        enabled: item.enabled === true,
        source: item.source as PreviewOrg['source'],
        attributes: (item.attributes ?? {}) as PreviewOrg['attributes'],
      })),
      more: page.next !== undefined,
    };
  }
}

function toItem(rollout: Rollout): Record<string, unknown> {
  const definition = gzipSync(JSON.stringify(rollout.definition));
  if (definition.byteLength > MAX_STORED_DEFINITION_BYTES) {
    throw new BadRequestError(
      'rollout_too_large',
      `The rollout's definition is ${definition.byteLength} bytes compressed; at most ${MAX_STORED_DEFINITION_BYTES} are stored. Name fewer org ids, or select the orgs by attributes.`,
    );
  }
  return {
    pk: ROLLOUTS_PK,
    sk: rollout.id,
    type: 'rollout',
    rollout_id: rollout.id,
    key: rollout.definition.key,
    status: rollout.status,
    version: rollout.version,
    definition,
    created_at: rollout.createdAt,
    created_by: rollout.createdBy,
    updated_at: rollout.updatedAt,
    updated_by: rollout.updatedBy,
    steps_done: rollout.stepsDone,
    // As JSON text: their key order is part of what the API shows.
    preview: rollout.preview && JSON.stringify(rollout.preview),
    approval: rollout.approval && JSON.stringify(rollout.approval),
  };
}

function fromItem(item: Record<string, unknown>): Rollout {
  return {
    id: String(item.rollout_id),
    definition: JSON.parse(gunzipSync(item.definition as Uint8Array).toString('utf8')) as RolloutDefinition,
    status: item.status as Rollout['status'],
    version: Number(item.version),
    createdAt: String(item.created_at),
    createdBy: String(item.created_by),
    updatedAt: String(item.updated_at),
    updatedBy: String(item.updated_by),
    stepsDone: Number(item.steps_done ?? 0),
    ...(typeof item.preview === 'string' ? { preview: JSON.parse(item.preview) as Rollout['preview'] } : {}),
    ...(typeof item.approval === 'string' ? { approval: JSON.parse(item.approval) as Rollout['approval'] } : {}),
  };
}
