import { describe, expect, it } from '@jest/globals';
import {
  CHANGE_EVENT_SOURCE,
  FEATURE_FLAG_CHANGED,
  type ChangeEvent,
  type ChangeInput,
  type ChangePublisher,
  type PublishOutcome,
} from '../../../lambdas/domain/change-events.js';
import { publishChanges } from '../../../lambdas/use-cases/change-events.js';

const event = (n: number): ChangeInput => ({
  kind: 'event',
  event: {
    source: CHANGE_EVENT_SOURCE,
    detailType: FEATURE_FLAG_CHANGED,
    time: new Date(0),
    detail: {
      change_id: `change-${n}`,
      org_id: 'acme',
      key: 'chat',
      previous_enabled: false,
      enabled: true,
      version: n,
      source: 'admin',
      changed_by: 'admin-user-1',
      changed_at: '2026-11-23T10:15:00.000Z',
      request_id: 'r',
    },
  },
});
const skip: ChangeInput = { kind: 'skip' };
const malformed: ChangeInput = { kind: 'malformed', reason: 'history entry is malformed: enabled: required' };

/** A bus that takes events until `failAt` (counted over every call), then refuses. */
class RecordingPublisher implements ChangePublisher {
  readonly calls: string[][] = [];
  private taken = 0;
  constructor(private readonly failAt = Number.POSITIVE_INFINITY) {}
  async publish(events: readonly ChangeEvent[]): Promise<PublishOutcome> {
    this.calls.push(events.map((e) => e.detail.change_id));
    const room = Math.max(0, this.failAt - this.taken);
    const published = Math.min(room, events.length);
    this.taken += published;
    return published < events.length ? { published, error: 'ThrottlingException: Rate exceeded' } : { published };
  }
}

describe('publishChanges', () => {
  it('publishes every event in order, skipping records that are not changes, and handles the whole batch', async () => {
    const publisher = new RecordingPublisher();
    const result = await publishChanges({ publisher }, [event(1), skip, event(2), skip, event(3)]);
    expect(publisher.calls).toEqual([['change-1', 'change-2', 'change-3']]);
    expect({ ...result, published: result.published.map((e) => e.detail.change_id) }).toEqual({
      handled: 5,
      published: ['change-1', 'change-2', 'change-3'],
      skipped: 2,
    });
  });

  it('stops at the first event the bus refuses: that record and everything after it are not handled', async () => {
    const publisher = new RecordingPublisher(2);
    const result = await publishChanges({ publisher }, [skip, event(1), event(2), skip, event(3), event(4)]);
    expect(result.handled).toBe(4);
    expect(result.published.map((e) => e.detail.change_id)).toEqual(['change-1', 'change-2']);
    expect(result.skipped).toBe(2);
    expect(result.failure).toBe('ThrottlingException: Rate exceeded');
  });

  it('publishes the events before a malformed record, and stops there', async () => {
    const publisher = new RecordingPublisher();
    const result = await publishChanges({ publisher }, [event(1), skip, malformed, event(2)]);
    expect(publisher.calls).toEqual([['change-1']]);
    expect({ ...result, published: result.published.map((e) => e.detail.change_id) }).toEqual({
      handled: 2,
      published: ['change-1'],
      skipped: 1,
      failure: 'history entry is malformed: enabled: required',
    });
  });

  it('reports the refused event, not the later malformed record, when the bus refuses first', async () => {
    const result = await publishChanges({ publisher: new RecordingPublisher(0) }, [skip, event(1), malformed]);
    expect(result).toMatchObject({ handled: 1, published: [], failure: 'ThrottlingException: Rate exceeded' });
  });

  it('calls the bus not at all when no record is a change', async () => {
    const publisher = new RecordingPublisher();
    expect(await publishChanges({ publisher }, [skip, skip])).toEqual({ handled: 2, published: [], skipped: 2 });
    expect(await publishChanges({ publisher }, [malformed, event(1)])).toMatchObject({ handled: 0, published: [] });
    expect(publisher.calls).toEqual([]);
  });
});
