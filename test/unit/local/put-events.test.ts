import { describe, expect, it } from '@jest/globals';
import {
  entryError,
  entrySizeBytes,
  parsePutEventsRequest,
  putEventsRequestSchema,
  putEventsResponse,
  toEventBridgeEvent,
  type PutEventsRequestEntry,
} from '../../../lib/local/put-events.js';

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'org-service',
  DetailType: 'OrgCreated',
  Detail: JSON.stringify({ orgId: 'org-42', plan: 'enterprise' }),
  EventBusName: 'org-events',
  ...overrides,
});

const envelope = {
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  account: '123456789012',
  region: 'eu-west-1',
  now: new Date('2026-11-22T19:30:45.678Z'),
};

describe('parsePutEventsRequest', () => {
  it('accepts the body the AWS SDK sends and keeps entries in order', () => {
    const body = {
      Entries: [entry(), entry({ DetailType: 'OrgDeleted', Resources: ['arn:aws:s3:::b'], Time: 1795375845 })],
    };
    const result = parsePutEventsRequest(body);
    expect(result).toEqual({ ok: true, entries: body.Entries });
    expect(putEventsRequestSchema.safeParse(body).success).toBe(true);
  });

  it('returns EndpointId when present', () => {
    expect(parsePutEventsRequest({ Entries: [entry()], EndpointId: 'abc.xyz' })).toMatchObject({
      ok: true,
      endpointId: 'abc.xyz',
    });
  });

  it('leaves entry-level problems to entryError', () => {
    const result = parsePutEventsRequest({ Entries: [{ Detail: 'not json' }] });
    expect(result).toEqual({ ok: true, entries: [{ Detail: 'not json' }] });
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, 'x', 42, [entry()]]) {
      expect(parsePutEventsRequest(body)).toMatchObject({ ok: false, code: 'SerializationException' });
    }
  });

  it('rejects a missing Entries list', () => {
    expect(parsePutEventsRequest({})).toEqual({
      ok: false,
      code: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    });
  });

  it('rejects an empty Entries list', () => {
    const result = parsePutEventsRequest({ Entries: [] });
    expect(result).toMatchObject({ ok: false, code: 'ValidationException' });
    expect(result.ok === false && result.message).toContain('Member must have length greater than or equal to 1');
  });

  it('accepts 10 entries and rejects 11', () => {
    expect(parsePutEventsRequest({ Entries: Array.from({ length: 10 }, () => entry()) }).ok).toBe(true);
    const result = parsePutEventsRequest({ Entries: Array.from({ length: 11 }, () => entry()) });
    expect(result).toMatchObject({ ok: false, code: 'ValidationException' });
    expect(result.ok === false && result.message).toContain('Member must have length less than or equal to 10');
  });

  it('rejects members of the wrong JSON type', () => {
    expect(parsePutEventsRequest({ Entries: 'x' })).toMatchObject({ ok: false, code: 'SerializationException' });
    expect(parsePutEventsRequest({ Entries: ['x'] })).toMatchObject({ ok: false, code: 'SerializationException' });
    const result = parsePutEventsRequest({ Entries: [entry({ Source: 7 as unknown as string })] });
    expect(result).toMatchObject({ ok: false, code: 'SerializationException' });
    expect(result.ok === false && result.message).toContain("'Entries.0.Source'");
    expect(parsePutEventsRequest({ Entries: [entry({ Time: '2026-11-22' as unknown as number })] }).ok).toBe(false);
  });

  it('rejects entries over 256 KiB in total', () => {
    const big = JSON.stringify({ blob: 'x'.repeat(130 * 1024) });
    expect(parsePutEventsRequest({ Entries: [entry({ Detail: big })] }).ok).toBe(true);
    expect(parsePutEventsRequest({ Entries: [entry({ Detail: big }), entry({ Detail: big })] })).toEqual({
      ok: false,
      code: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });
});

describe('entrySizeBytes', () => {
  it('counts Time as 14 bytes plus the UTF-8 length of Source, DetailType, Detail and Resources', () => {
    expect(entrySizeBytes({ Source: 'ab', DetailType: 'c', Detail: '{"é":1}', Resources: ['r1', 'r2'], Time: 1 })).toBe(
      14 + 2 + 1 + 8 + 4,
    );
    expect(entrySizeBytes({})).toBe(0);
  });
});

describe('entryError', () => {
  it('accepts a valid entry', () => {
    expect(entryError(entry())).toBeNull();
    expect(entryError(entry({ Detail: '{}' }))).toBeNull();
  });

  it('reports missing Source, DetailType and Detail as InvalidArgument', () => {
    expect(entryError(entry({ Source: undefined }))).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
    });
    expect(entryError(entry({ Source: '' }))).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(entryError(entry({ DetailType: undefined }))).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    });
    expect(entryError(entry({ Detail: undefined }))).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
    });
  });

  it('reports Detail that is not valid JSON as MalformedDetail', () => {
    expect(entryError(entry({ Detail: '{orgId: 1}' }))).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(entryError(entry({ Detail: '' }))).toMatchObject({ ErrorCode: 'MalformedDetail' });
  });

  it('reports Detail that is JSON but not an object as MalformedDetail', () => {
    for (const detail of ['[1,2]', '"text"', '42', 'null', 'true']) {
      expect(entryError(entry({ Detail: detail }))).toMatchObject({ ErrorCode: 'MalformedDetail' });
    }
  });

  it('refuses sources in the reserved aws. namespace', () => {
    expect(entryError(entry({ Source: 'aws.ec2' }))).toEqual({
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: 'Not authorized for the source.',
    });
  });
});

describe('toEventBridgeEvent', () => {
  it('builds the event delivered to targets, with time from now without milliseconds', () => {
    const event = toEventBridgeEvent(entry(), envelope);
    expect(event).toEqual({
      version: '0',
      id: envelope.id,
      'detail-type': 'OrgCreated',
      source: 'org-service',
      account: '123456789012',
      time: '2026-11-22T19:30:45Z',
      region: 'eu-west-1',
      resources: [],
      detail: { orgId: 'org-42', plan: 'enterprise' },
    });
    expect(Object.keys(event)).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
  });

  it('uses the entry Time (epoch seconds, fractions truncated) and Resources when given', () => {
    const time = Date.parse('2025-01-02T03:04:05Z') / 1000 + 0.75;
    const event = toEventBridgeEvent(entry({ Time: time, Resources: ['arn:aws:s3:::b'] }), envelope);
    expect(event.time).toBe('2025-01-02T03:04:05Z');
    expect(event.resources).toEqual(['arn:aws:s3:::b']);
  });

  it('throws for an entry entryError rejects', () => {
    expect(() => toEventBridgeEvent(entry({ Detail: 'nope' }), envelope)).toThrow('MalformedDetail');
  });
});

describe('putEventsResponse', () => {
  it('counts failed entries and keeps results in request order', () => {
    const results = [
      { EventId: 'a' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: 'b' },
    ];
    expect(putEventsResponse(results)).toEqual({ FailedEntryCount: 1, Entries: results });
  });

  it('reports zero failures when every entry succeeded', () => {
    expect(putEventsResponse([{ EventId: 'a' }])).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
  });
});
