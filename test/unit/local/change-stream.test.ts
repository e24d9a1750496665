import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { _Record as SdkStreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { parseStreamRecord } from '../../../lambdas/streams/handler.js';
import { toLambdaRecord } from '../../../lib/local/change-stream.js';

const STREAM_ARN = 'arn:aws:dynamodb:ddblocal:000000000000:table/org-feature-flags/stream/2026-11-23T19:10:51.977';

/** A record as the DynamoDB Streams client returns it from GetRecords (dates as Date, binary as bytes). */
const sdkRecord: SdkStreamRecord = {
  eventID: '38746435-6d2a-433e-9e9e-f331b6272739',
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'ddblocal',
  dynamodb: {
    ApproximateCreationDateTime: new Date('2026-11-23T19:14:00.000Z'),
    Keys: { pk: { S: 'HIST#acme' }, sk: { S: '2026-11-23T19:14:00.000Z#chat#1' } },
    NewImage: {
      pk: { S: 'HIST#acme' },
      sk: { S: '2026-11-23T19:14:00.000Z#chat#1' },
      blob: { B: new Uint8Array([1, 2, 3]) },
      nested: { M: { bytes: { BS: [new Uint8Array([255])] }, list: { L: [{ B: new Uint8Array([0]) }, { N: '5' }] } } },
      on: { BOOL: true },
    },
    SequenceNumber: '000000000000000000001',
    SizeBytes: 32,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
};

describe('a stream record handed to the local Lambda handler', () => {
  it('has the shape Lambda delivers: the stream ARN, epoch seconds, base64 binaries', () => {
    expect(toLambdaRecord(sdkRecord, STREAM_ARN)).toEqual({
      eventID: '38746435-6d2a-433e-9e9e-f331b6272739',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        ApproximateCreationDateTime: 1795461240,
        Keys: { pk: { S: 'HIST#acme' }, sk: { S: '2026-11-23T19:14:00.000Z#chat#1' } },
        NewImage: {
          pk: { S: 'HIST#acme' },
          sk: { S: '2026-11-23T19:14:00.000Z#chat#1' },
          blob: { B: 'AQID' },
          nested: { M: { bytes: { BS: ['/w=='] }, list: { L: [{ B: 'AA==' }, { N: '5' }] } } },
          on: { BOOL: true },
        },
        SequenceNumber: '000000000000000000001',
        SizeBytes: 32,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  });

  it('parses as the Lambda records of the fixtures do', () => {
    const converted = parseStreamRecord(JSON.parse(JSON.stringify(toLambdaRecord(sdkRecord, STREAM_ARN))));
    expect(converted.ok).toBe(true);
    const fixture = JSON.parse(
      readFileSync(new URL('../../fixtures/events/history-insert-record.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    expect(Object.keys(toLambdaRecord(sdkRecord, STREAM_ARN)).sort()).toEqual(Object.keys(fixture).sort());
  });
});
