import * as z from 'zod/mini';
import { changeIdOf } from './history.js';
import { orgIdSchema } from './schemas.js';

/** Detail type of the event published for every committed change of a flag. */
export const FEATURE_FLAG_CHANGED = 'FeatureFlagChanged';

/** `source` of every event this service publishes. */
export const CHANGE_EVENT_SOURCE = 'org-feature-flags';

/** Partition key prefix of history entries: the items whose insertion is a committed change. */
export const HISTORY_PK_PREFIX = 'HIST#';

/** What a `FeatureFlagChanged` event says, in its `detail`. */
export const featureFlagChangedDetailSchema = z.strictObject({
  /** The history entry's id: the same on every delivery of this change, so a consumer can drop a repeat. */
  change_id: z.string().check(z.minLength(1)),
  org_id: orgIdSchema,
  key: z.string().check(z.minLength(1)),
  previous_enabled: z.boolean(),
  enabled: z.boolean(),
  /** The row's version after the change. */
  version: z.number().check(z.int(), z.nonnegative()),
  /** What made the change: `admin` for a person through the API. */
  source: z.string().check(z.minLength(1)),
  /** The stable subject of who made the change. */
  changed_by: z.string().check(z.minLength(1)),
  changed_by_email: z.optional(z.string().check(z.minLength(1))),
  changed_at: z.iso.datetime({ offset: true }),
  request_id: z.string(),
});

export type FeatureFlagChangedDetail = z.infer<typeof featureFlagChangedDetailSchema>;

/** An event to publish: where it comes from, its type, when the change happened, and its detail. */
export interface ChangeEvent {
  readonly source: typeof CHANGE_EVENT_SOURCE;
  readonly detailType: typeof FEATURE_FLAG_CHANGED;
  readonly time: Date;
  readonly detail: FeatureFlagChangedDetail;
}

/** A history entry as stored (see docs/architecture.md#data); attributes it does not name are ignored. */
const historyItemSchema = z.object({
  pk: z.string().check(z.startsWith(HISTORY_PK_PREFIX)),
  sk: z.string().check(z.minLength(1)),
  type: z.literal('change'),
  change_id: z.optional(z.string().check(z.minLength(1))),
  org_id: orgIdSchema,
  key: z.string().check(z.minLength(1)),
  enabled: z.boolean(),
  previous_enabled: z.boolean(),
  version: z.number().check(z.int(), z.nonnegative()),
  source: z._default(z.string().check(z.minLength(1)), 'admin'),
  changed_by: z.string().check(z.minLength(1)),
  changed_by_email: z.optional(z.string().check(z.minLength(1))),
  changed_at: z.iso.datetime({ offset: true }),
  request_id: z.string(),
});

/** A change record of the table's stream, its images already converted from DynamoDB's attribute format. */
export interface ChangeRecord {
  readonly eventName: string;
  readonly dynamodb: {
    readonly Keys: Readonly<Record<string, unknown>>;
    readonly NewImage?: Readonly<Record<string, unknown>>;
  };
}

/** What one stream record means for publishing: an event, nothing (not a history entry), or a malformed entry. */
export type ChangeInput =
  | { readonly kind: 'event'; readonly event: ChangeEvent }
  | { readonly kind: 'skip' }
  | { readonly kind: 'malformed'; readonly reason: string };

/** Whether a stream record is the insertion of a history entry, the one kind of record that is a committed change. */
export function isHistoryInsert(record: ChangeRecord): boolean {
  const pk = record.dynamodb.Keys.pk;
  return record.eventName === 'INSERT' && typeof pk === 'string' && pk.startsWith(HISTORY_PK_PREFIX);
}

/**
 * The `FeatureFlagChanged` event of a stream record: the inserted history entry's fields, with
 * the entry's `change_id` (derived from its key when the entry predates stored ids).
 */
export function changeOf(record: ChangeRecord): ChangeInput {
  if (!isHistoryInsert(record)) return { kind: 'skip' };
  const parsed = historyItemSchema.safeParse(record.dynamodb.NewImage ?? {});
  if (!parsed.success) {
    return {
      kind: 'malformed',
      reason: `history entry ${String(record.dynamodb.Keys.pk)} ${String(record.dynamodb.Keys.sk)} is malformed:\n${z.prettifyError(parsed.error)}`,
    };
  }
  const item = parsed.data;
  const detail: FeatureFlagChangedDetail = {
    change_id: item.change_id ?? changeIdOf(item.org_id, item.sk),
    org_id: item.org_id,
    key: item.key,
    previous_enabled: item.previous_enabled,
    enabled: item.enabled,
    version: item.version,
    source: item.source,
    changed_by: item.changed_by,
    ...(item.changed_by_email ? { changed_by_email: item.changed_by_email } : {}),
    changed_at: item.changed_at,
    request_id: item.request_id,
  };
  return {
    kind: 'event',
    event: { source: CHANGE_EVENT_SOURCE, detailType: FEATURE_FLAG_CHANGED, time: new Date(item.changed_at), detail },
  };
}

/** How far a publish got: events are published in order, so everything before `published` went out. */
export interface PublishOutcome {
  readonly published: number;
  /** Why the event at index `published` was not published, when one was not. */
  readonly error?: string;
}

/** The port the change publisher writes to: an event bus. */
export interface ChangePublisher {
  /** Publishes the events in order, stopping at the first one that fails. */
  publish(events: readonly ChangeEvent[]): Promise<PublishOutcome>;
}
