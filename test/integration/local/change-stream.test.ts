import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  startChangeStream,
  type ChangeStreamOptions,
  type LocalChangeStream,
  type StreamFailure,
} from '../../../lib/local/change-stream.js';
import { localDynamoDbClientConfig } from '../../../lib/local/dynamodb-local.js';
import { CHANGE_EVENTS_STREAM } from '../../../lib/service/streams.js';
import { freshTable } from '../../support/jobs.js';
import { requiredEnv } from '../../support/table.js';

/*
 * The local stack's reader of the table stream, against DynamoDB Local's real stream, with a
 * handler that records what it is given and fails when told to (the real handler is tested in
 * test/integration/handlers/publish-changes.test.ts, the whole chain in test/e2e/change-events.test.ts).
 */

let client: DynamoDBDocumentClient;
let tableName: string;
let dir: string;
const readers: LocalChangeStream[] = [];
const logged: string[] = [];

beforeEach(async () => {
  ({ client, tableName } = await freshTable(`stream-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`));
  dir = await mkdtemp(path.join(tmpdir(), 'off-stream-'));
  logged.length = 0;
});

afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.stop();
  await rm(dir, { recursive: true, force: true });
});

afterAll(() => client?.destroy());

const historyPut = (org: string, n: number) =>
  client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: `HIST#${org}`,
        sk: `2026-11-23T10:00:${String(n).padStart(2, '0')}.000Z#chat#${n}`,
        type: 'change',
        n,
      },
    }),
  );
const rowPut = (org: string, n: number) =>
  client.send(new PutCommand({ TableName: tableName, Item: { pk: `ORG#${org}`, sk: 'FLAG#chat', n } }));

/** A handler that records each batch (by the `n` of each record) and answers as `answer` says. */
function recorder(
  answer: (ns: number[], call: number, records: DynamoDBRecord[]) => DynamoDBBatchResponse | 'throw' = () => ({
    batchItemFailures: [],
  }),
) {
  const batches: number[][] = [];
  const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const ns = event.Records.map((record) => Number(record.dynamodb?.NewImage?.n?.N));
    batches.push(ns);
    const result = answer(ns, batches.length, event.Records);
    if (result === 'throw') throw new Error('handler failed');
    return result;
  };
  return { batches, handler, delivered: () => batches.flat() };
}

/** The batch response failing the records from the one whose `n` is `from`. */
const failFrom = (records: number[], from: number, event: DynamoDBRecord[]) => ({
  batchItemFailures: event
    .slice(records.indexOf(from))
    .map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })),
});

async function start(
  handler: ChangeStreamOptions['handler'],
  overrides: Partial<ChangeStreamOptions> = {},
): Promise<LocalChangeStream> {
  const reader = await startChangeStream({
    endpoint: requiredEnv('DYNAMODB_ENDPOINT'),
    tableName,
    consumer: CHANGE_EVENTS_STREAM,
    handler,
    checkpointFile: path.join(dir, 'change-stream.json'),
    failureFile: path.join(dir, 'failures.jsonl'),
    pollIntervalMs: 50,
    retryBaseDelayMs: 10,
    log: (line) => logged.push(line),
    ...overrides,
  });
  readers.push(reader);
  return reader;
}

async function streamArn(): Promise<string> {
  const dynamodb = new DynamoDBClient(localDynamoDbClientConfig(requiredEnv('DYNAMODB_ENDPOINT')));
  try {
    return String((await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn);
  } finally {
    dynamodb.destroy();
  }
}

describe('the local change-stream reader', () => {
  it('with no checkpoint, hands over every insertion of a history entry the stream holds, in order, in batches of the declared size, and nothing else', async () => {
    for (let n = 1; n <= 5; n++) {
      await historyPut('acme', n);
      await rowPut('acme', 100 + n);
    }
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: 'HIST#acme', sk: '2026-11-23T10:00:01.000Z#chat#1' },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': 99 },
      }),
    );
    const { batches, handler } = recorder();

    const reader = await start(handler, { consumer: { ...CHANGE_EVENTS_STREAM, batchSize: 2 } });
    await reader.caughtUp();

    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(logged).toContain(
      '[events] no change-stream checkpoint: publishing every change the stream holds, from its oldest record',
    );
  });

  it('keeps its place in the checkpoint file: a restart hands over only what came after', async () => {
    await historyPut('acme', 1);
    await historyPut('acme', 2);
    const first = recorder();
    const reader = await start(first.handler);
    await reader.caughtUp();
    await reader.stop();
    expect(first.delivered()).toEqual([1, 2]);
    const checkpoint = JSON.parse(await readFile(path.join(dir, 'change-stream.json'), 'utf8')) as {
      stream_arn: string;
      shards: Record<string, { sequence_number?: string }>;
    };
    expect(checkpoint.stream_arn).toBe(await streamArn());
    expect(Object.values(checkpoint.shards).map((shard) => shard.sequence_number)).toEqual([
      expect.stringMatching(/^\d+$/),
    ]);

    await historyPut('acme', 3);
    await rowPut('acme', 4);
    const second = recorder();
    await (await start(second.handler)).caughtUp();
    expect(second.delivered()).toEqual([3]);
  });

  it('ignores a checkpoint of another stream (a new table) and reads this one from its start', async () => {
    await historyPut('acme', 1);
    await writeFile(
      path.join(dir, 'change-stream.json'),
      JSON.stringify({
        stream_arn: 'arn:aws:dynamodb:ddblocal:000000000000:table/old/stream/x',
        shards: { 'shardId-old': { sequence_number: '999' } },
      }),
    );
    const { handler, delivered } = recorder();
    await (await start(handler)).caughtUp();
    expect(delivered()).toEqual([1]);
    expect(logged.join('\n')).toMatch(
      /is not the one of .*change-stream\.json \(a new table\): reading the new stream from its start/,
    );
  });

  it('retries from the first record the handler reports failed, keeping the order, until it succeeds', async () => {
    for (let n = 1; n <= 4; n++) await historyPut('acme', n);
    const { batches, handler } = recorder((ns, call, records) =>
      call <= 2 ? failFrom(ns, 3, records) : { batchItemFailures: [] },
    );
    await (await start(handler)).caughtUp();
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [3, 4],
      [3, 4],
    ]);
    await expect(readFile(path.join(dir, 'failures.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('after the declared retries, appends the record that keeps failing to the failure file and goes on after it', async () => {
    for (let n = 1; n <= 3; n++) await historyPut('acme', n);
    // The first batch fails from record 2 on; then each retry starts at record 2 and throws.
    const { batches, handler } = recorder((ns, call, records) =>
      call === 1 ? failFrom(ns, 2, records) : ns[0] === 2 ? 'throw' : { batchItemFailures: [] },
    );
    const reader = await start(handler, { consumer: { ...CHANGE_EVENTS_STREAM, retryAttempts: 2 } });
    await reader.caughtUp();

    expect(batches).toEqual([[1, 2, 3], [2, 3], [2, 3], [3]]);
    const failures = (await readFile(path.join(dir, 'failures.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as StreamFailure);
    expect(failures).toEqual([
      expect.objectContaining({
        consumer: 'ChangeEvents',
        target: 'publish-changes',
        attempts: 3,
        error: 'handler failed',
        record: expect.objectContaining({ eventName: 'INSERT' }),
      }),
    ]);
    expect(failures[0]?.record.dynamodb?.NewImage?.n).toEqual({ N: '2' });
    expect(logged.join('\n')).toMatch(/\[events\] stream record \d+ failed 3 times and was skipped: handler failed/);
  });

  it('stop lets the batch under way finish and write its checkpoint, and hands nothing over after', async () => {
    await historyPut('acme', 1);
    let release: () => void = () => undefined;
    const entered = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finish: () => void = () => undefined;
    const calls: number[][] = [];
    const reader = await start(async (event) => {
      calls.push(event.Records.map((record) => Number(record.dynamodb?.NewImage?.n?.N)));
      release();
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return { batchItemFailures: [] };
    });
    await entered;
    const stopped = reader.stop();
    finish();
    await stopped;
    await historyPut('acme', 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toEqual([[1]]);
    const checkpoint = JSON.parse(await readFile(path.join(dir, 'change-stream.json'), 'utf8')) as {
      shards: Record<string, { sequence_number?: string }>;
    };
    expect(Object.keys(checkpoint.shards)).toHaveLength(1);
  });
});
