import { isRecord } from './json.js';

/** `detail-type` of the event org-feature-flags publishes for every committed change of a flag. */
export const FEATURE_FLAG_CHANGED = 'FeatureFlagChanged';

/** `source` of every event org-feature-flags publishes. */
export const CHANGE_EVENT_SOURCE = 'org-feature-flags';

/**
 * The org whose flags a `FeatureFlagChanged` event (an EventBridge event object, or its JSON)
 * is about; undefined for anything else.
 */
export function orgIdOfChange(event: unknown): string | undefined {
  let value = event;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(value) || value['detail-type'] !== FEATURE_FLAG_CHANGED || value.source !== CHANGE_EVENT_SOURCE)
    return undefined;
  const detail = value.detail;
  if (!isRecord(detail)) return undefined;
  return typeof detail.org_id === 'string' && detail.org_id !== '' ? detail.org_id : undefined;
}

/** What change notifications act on: an `OrgFeatureFlagsProvider`, or anything with its `invalidate`. */
export interface Invalidatable {
  invalidate(orgId: string): Promise<unknown>;
}
