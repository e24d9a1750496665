import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  CHANGE_EVENT_SOURCE,
  FEATURE_FLAG_CHANGED,
  changeOf,
  featureFlagChangedDetailSchema,
  isHistoryInsert,
  type ChangeInput,
} from '../../../lambdas/domain/change-events.js';
import { changeIdOf } from '../../../lambdas/domain/history.js';
import { parseStreamRecord } from '../../../lambdas/streams/handler.js';
import { matchesEventPattern } from '../../../lib/local/event-pattern.js';
import { CHANGE_EVENTS_STREAM } from '../../../lib/service/streams.js';

type RawRecord = {
  eventName: string;
  dynamodb: { Keys: Record<string, unknown>; NewImage?: Record<string, Record<string, unknown>> };
};

const fixture = (name: string): RawRecord =>
  JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
const historyInsert = () => fixture('history-insert-record');
const legacyInsert = () => fixture('legacy-history-insert-record');
const flagRowModify = () => fixture('flag-row-modify-record');

/** The record as the publisher sees it: parsed and its images converted, as the stream chain does. */
function changeOfRaw(raw: unknown): ChangeInput {
  const parsed = parseStreamRecord(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return changeOf(parsed.record);
}

describe('FeatureFlagChanged from a stream record', () => {
  it('maps the insertion of a history entry to the event, every field from the entry', () => {
    const change = changeOfRaw(historyInsert());
    expect(change).toEqual({
      kind: 'event',
      event: {
        source: CHANGE_EVENT_SOURCE,
        detailType: FEATURE_FLAG_CHANGED,
        time: new Date('2026-11-23T10:15:00.123Z'),
        detail: {
          change_id: 'ilP4lOHDPXt3f1Asu6yr-S',
          org_id: 'acme',
          key: 'chat',
          previous_enabled: false,
          enabled: true,
          version: 1795300500123,
          source: 'admin',
          changed_by: 'admin-user-1',
          changed_by_email: 'ada@example.com',
          changed_at: '2026-11-23T10:15:00.123Z',
          request_id: 'c0a8012e-6f1b-4c1e-9d1e-3b7f5a2c9e10',
        },
      },
    });
    if (change.kind !== 'event') throw new Error('no event');
    expect(featureFlagChangedDetailSchema.parse(change.event.detail)).toEqual(change.event.detail);
    expect(CHANGE_EVENT_SOURCE).toBe('org-feature-flags');
    expect(FEATURE_FLAG_CHANGED).toBe('FeatureFlagChanged');
  });

  it("gives the stored change_id, which is the history entry's id derived from its key", () => {
    const record = historyInsert();
    const change = changeOfRaw(record);
    expect(change.kind === 'event' && change.event.detail.change_id).toBe(
      changeIdOf('acme', (record.dynamodb.Keys.sk as { S: string }).S),
    );
  });

  it('reads an entry written before source, e-mail and stored ids: source admin, no e-mail, the id derived from its key', () => {
    const change = changeOfRaw(legacyInsert());
    expect(change).toMatchObject({
      kind: 'event',
      event: {
        detail: { source: 'admin', change_id: changeIdOf('acme', '2026-11-22T08:00:00.000Z#sso#1795219200000') },
      },
    });
    expect(change.kind === 'event' && 'changed_by_email' in change.event.detail).toBe(false);
  });

  it('gives a redelivered record the same change_id, and another entry another one', () => {
    const first = changeOfRaw(legacyInsert());
    const again = changeOfRaw(legacyInsert());
    const other = legacyInsert();
    const sk = '2026-11-22T08:00:01.000Z#sso#1795219201000';
    other.dynamodb.Keys.sk = { S: sk };
    (other.dynamodb.NewImage as Record<string, unknown>).sk = { S: sk };
    const third = changeOfRaw(other);
    const id = (change: ChangeInput) => (change.kind === 'event' ? change.event.detail.change_id : undefined);
    expect(id(again)).toBe(id(first));
    expect(id(third)).not.toBe(id(first));
  });

  it('publishes nothing for records that are not insertions of history entries', () => {
    expect(changeOfRaw(flagRowModify())).toEqual({ kind: 'skip' });
    const rowInsert = flagRowModify();
    rowInsert.eventName = 'INSERT';
    expect(changeOfRaw(rowInsert)).toEqual({ kind: 'skip' });
    const historyRemoved = historyInsert();
    historyRemoved.eventName = 'REMOVE';
    expect(changeOfRaw(historyRemoved)).toEqual({ kind: 'skip' });
  });

  it('names what is wrong with a malformed history entry', () => {
    const record = historyInsert();
    delete record.dynamodb.NewImage?.enabled;
    (record.dynamodb.NewImage as Record<string, unknown>).org_id = { S: 'not/valid' };
    const change = changeOfRaw(record);
    expect(change.kind).toBe('malformed');
    expect(change.kind === 'malformed' && change.reason).toMatch(
      /^history entry HIST#acme 2026-11-23T10:15:00\.123Z#chat#1795300500123 is malformed:\n✖ .*\n {2}→ at org_id\n✖ .*\n {2}→ at enabled$/,
    );
  });

  it('the declared stream filter passes exactly the records the mapping turns into events', () => {
    const records = [
      historyInsert(),
      legacyInsert(),
      flagRowModify(),
      { ...flagRowModify(), eventName: 'INSERT' },
      { ...historyInsert(), eventName: 'MODIFY' },
      { ...historyInsert(), eventName: 'REMOVE' },
    ];
    const passed = records.map((record) =>
      matchesEventPattern(CHANGE_EVENTS_STREAM.filter, record as unknown as Record<string, unknown>),
    );
    expect(passed).toEqual([true, true, false, false, false, false]);
    expect(records.map((record) => changeOfRaw(record).kind === 'event')).toEqual(passed);
    const parsed = records.map(parseStreamRecord);
    expect(parsed.map((input) => input.ok && isHistoryInsert(input.record))).toEqual(passed);
  });

  it('a record that is not a stream record is reported as malformed, with the reason', () => {
    const parsed = parseStreamRecord({ eventName: 'INSERT', dynamodb: {} });
    expect(parsed).toEqual({
      ok: false,
      reason: expect.stringMatching(/^malformed stream record:\n✖ .*\n {2}→ at dynamodb\.Keys$/m),
    });
  });

  it("an image that is not in DynamoDB's attribute format is reported as malformed, naming the image", () => {
    const record = historyInsert();
    (record.dynamodb.NewImage as Record<string, unknown>).enabled = { Q: true };
    expect(parseStreamRecord(record)).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^malformed stream record:\n✖ not an item in DynamoDB's attribute format .*\n {2}→ at dynamodb\.NewImage$/,
      ),
    });
  });
});
