import { createHash } from 'node:crypto';
import type { FlagSource } from './flags.js';

/** One committed change of one org's flag, as its history entry records it. */
export interface HistoryEntry {
  /** Stable id of the entry; change events carry it so a consumer can drop a repeat. */
  readonly changeId: string;
  readonly orgId: string;
  readonly key: string;
  readonly previousEnabled: boolean;
  readonly enabled: boolean;
  readonly version: number;
  readonly source: FlagSource;
  /** The stable subject of who made the change. */
  readonly changedBy: string;
  readonly changedByEmail?: string;
  readonly changedAt: string;
  readonly requestId: string;
}

/** A history entry as the API returns it. */
export function historyView(entry: HistoryEntry) {
  return {
    change_id: entry.changeId,
    org_id: entry.orgId,
    key: entry.key,
    previous_enabled: entry.previousEnabled,
    enabled: entry.enabled,
    version: entry.version,
    source: entry.source,
    changed_by: entry.changedBy,
    changed_by_email: entry.changedByEmail ?? null,
    changed_at: entry.changedAt,
    request_id: entry.requestId,
  };
}

/** The change id of the history entry stored under this org and sort key: the same on every read and every redelivery. */
export function changeIdOf(orgId: string, sortKey: string): string {
  return createHash('sha256').update(`${orgId}\n${sortKey}`).digest('base64url').slice(0, 22);
}
