import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue,
  type _Record as SdkStreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue as LambdaAttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { timeoutSecondsOf } from '../service/handlers.js';
import type { StreamConsumerDeclaration } from '../service/streams.js';
import { localDynamoDbClientConfig } from './dynamodb-local.js';
import { matchesEventPattern } from './event-pattern.js';
import { lambdaContext } from './http-api.js';

/** A stream consumer's Lambda handler. */
export type StreamTarget = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

/** Settings of {@link startChangeStream}. */
export interface ChangeStreamOptions {
  /** DynamoDB Local's endpoint; the stream is read with the DynamoDB Streams API there. */
  readonly endpoint: string;
  readonly tableName: string;
  readonly consumer: StreamConsumerDeclaration;
  readonly handler: StreamTarget;
  /** Where the position in the stream is kept between runs; none keeps it in memory only. */
  readonly checkpointFile?: string;
  /** JSON Lines file a record is appended to when it failed every retry. */
  readonly failureFile: string;
  /** Pause between reads of a stream that had nothing new. */
  readonly pollIntervalMs?: number;
  /** Delay before the first retry of a failed batch; doubled each time, at most 5 s. */
  readonly retryBaseDelayMs?: number;
  readonly log?: (line: string) => void;
}

/** The stored position: per shard, the sequence number of the last record handled, or that the shard was read to its end. */
interface Checkpoint {
  readonly stream_arn: string;
  readonly shards: Record<string, { sequence_number?: string; finished?: true }>;
  readonly updated_at?: string;
}

/** A record failed every retry; what the failure file keeps of it. */
export interface StreamFailure {
  readonly consumer: string;
  readonly target: string;
  readonly shard_id: string;
  readonly sequence_number: string;
  readonly attempts: number;
  readonly error: string;
  readonly record: DynamoDBRecord;
  readonly failed_at: string;
}

/** Ends this pass over a shard; the next pass reads it again from the checkpoint (after the retry delay when a batch `failed`). */
class RetryLater extends Error {
  constructor(readonly failed: boolean) {
    super(failed ? 'a batch failed' : 'the shard iterator expired');
  }
}

/** What a pass over the shards did: handed records over, or left a failed batch waiting for its retry. */
interface Pass {
  readonly progressed: boolean;
  readonly pending: boolean;
}

const MAX_RETRY_DELAY_MS = 5_000;
/**
 * Records per GetRecords call. DynamoDB Local answers a read of 1,000 records in 0.2 to 0.8 s,
 * during which the writes of the API and the jobs wait; 100 at a time, every 200 ms, keeps it
 * short and still reads 500 records a second.
 */
const RECORDS_PER_READ = 100;
/** How often the list of shards is read again (new shards appear when DynamoDB rolls them over, every few hours). */
const DESCRIBE_INTERVAL_MS = 5_000;
/** Pause after the stream could not be read (DynamoDB Local stopping, say). */
const PROBLEM_DELAY_MS = 1_000;

/**
 * Reads the flag table's stream in DynamoDB Local, as Lambda's event source mapping does in AWS,
 * and hands the records that pass the consumer's filter, in order and in batches of its batch
 * size, to the consumer's handler as a `DynamoDBStreamEvent`. After each batch the handler took,
 * the position (per shard, the last sequence number handled) is written to the checkpoint file
 * (a temporary file renamed over it), so a restart goes on from there: a record is handed over
 * again only if the process stopped between the handler's success and the write. With no
 * checkpoint, every shard is read from the oldest record the stream holds (the declared starting
 * position). A batch the handler fails (or whose records it reports failed) is retried from the
 * first failed record after a doubling delay; after the declared retries, that record is appended
 * to the failure file and skipped. Shards are read parents first, closed ones to their end.
 */
export class LocalChangeStream {
  private readonly dynamodb: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string>();
  /** Per shard, the record that failed last and how many times in a row. */
  private readonly attempts = new Map<string, { sequence: string; count: number }>();
  private readonly retryAt = new Map<string, number>();
  private checkpoint: Checkpoint;
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private cycles = 0;
  private waiters: { after: number; resolve: () => void }[] = [];
  private lastProblem: string | undefined;
  /** The stream's shards as last described; described again every few seconds, and after a shard ends or an error. */
  private shards: { at: number; list: Shard[] } | undefined;

  private constructor(
    private readonly options: ChangeStreamOptions,
    private streamArn: string,
    checkpoint: Checkpoint | undefined,
  ) {
    const clientConfig = { ...localDynamoDbClientConfig(options.endpoint), maxAttempts: 2 };
    this.dynamodb = new DynamoDBClient(clientConfig);
    this.streams = new DynamoDBStreamsClient(clientConfig);
    this.checkpoint = checkpoint?.stream_arn === streamArn ? checkpoint : { stream_arn: streamArn, shards: {} };
  }

  /** Finds the table's stream, loads the checkpoint, and starts reading in the background. */
  static async start(options: ChangeStreamOptions): Promise<LocalChangeStream> {
    const dynamodb = new DynamoDBClient(localDynamoDbClientConfig(options.endpoint));
    let streamArn: string | undefined;
    try {
      streamArn = (await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }))).Table
        ?.LatestStreamArn;
    } finally {
      dynamodb.destroy();
    }
    if (!streamArn) throw new Error(`Table ${options.tableName} has no stream; change events cannot be published`);
    const stored = options.checkpointFile ? await readCheckpoint(options.checkpointFile) : undefined;
    const reader = new LocalChangeStream(options, streamArn, stored);
    if (stored && stored.stream_arn !== streamArn) {
      options.log?.(
        `[events] the table's stream is not the one of ${options.checkpointFile} (a new table): reading the new stream from its start`,
      );
    } else if (!stored) {
      options.log?.(
        '[events] no change-stream checkpoint: publishing every change the stream holds, from its oldest record',
      );
    }
    reader.loop = reader.run();
    return reader;
  }

  /** Resolves after a full pass over the stream, started after this call, found nothing new to hand over. */
  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ after: this.cycles, resolve });
      this.wake?.();
    });
  }

  /** Lets the batch under way finish (and its checkpoint be written), then stops reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    this.dynamodb.destroy();
    this.streams.destroy();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const cycle = ++this.cycles;
      let pass: Pass = { progressed: false, pending: true };
      try {
        pass = await this.pass();
        if (this.lastProblem) this.options.log?.('[events] change stream: reading again');
        this.lastProblem = undefined;
      } catch (error) {
        this.iterators.clear();
        this.shards = undefined;
        this.report(error instanceof Error ? error.message : String(error));
      }
      if (!pass.progressed && !pass.pending) {
        const ready = this.waiters.filter((waiter) => waiter.after < cycle);
        this.waiters = this.waiters.filter((waiter) => waiter.after >= cycle);
        for (const waiter of ready) waiter.resolve();
      }
      // Every pass waits, even after one that handed records over, so that reading the stream
      // never competes much with the writes to DynamoDB Local.
      if (!this.stopping) await this.sleep(this.lastProblem ? PROBLEM_DELAY_MS : (this.options.pollIntervalMs ?? 200));
    }
  }

  /** One pass over every shard the stream lists. */
  private async pass(): Promise<Pass> {
    if (!this.shards || Date.now() - this.shards.at > DESCRIBE_INTERVAL_MS)
      this.shards = { at: Date.now(), list: await this.describeShards() };
    const shards = this.shards.list;
    const listed = new Set(shards.map((shard) => shard.ShardId ?? ''));
    const shardStates = Object.fromEntries(Object.entries(this.checkpoint.shards).filter(([id]) => listed.has(id)));
    if (Object.keys(shardStates).length !== Object.keys(this.checkpoint.shards).length)
      this.checkpoint = { ...this.checkpoint, shards: shardStates };

    const result = { progressed: false, pending: false };
    for (const shard of shards) {
      if (this.stopping) break;
      const id = shard.ShardId ?? '';
      if (this.checkpoint.shards[id]?.finished) continue;
      const parent = shard.ParentShardId;
      if (parent && listed.has(parent) && !this.checkpoint.shards[parent]?.finished) continue;
      if ((this.retryAt.get(id) ?? 0) > Date.now()) {
        result.pending = true;
        continue;
      }
      try {
        if (await this.readShard(id)) result.progressed = true;
      } catch (error) {
        if (!(error instanceof RetryLater)) throw error;
        this.iterators.delete(id);
        if (error.failed) result.pending = true;
        else result.progressed = true;
      }
    }
    return result;
  }

  /** Reads one page of a shard and hands its records over; true when it had records. */
  private async readShard(shardId: string): Promise<boolean> {
    const iterator = this.iterators.get(shardId) ?? (await this.newIterator(shardId));
    let page;
    try {
      page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_READ }));
    } catch (error) {
      if ((error as Error).name === 'ExpiredIteratorException') throw new RetryLater(false);
      throw error;
    }
    const records = (page.Records ?? []).map((record) => toLambdaRecord(record, this.streamArn));
    if (records.length > 0) await this.handOver(shardId, records);
    if (page.NextShardIterator) this.iterators.set(shardId, page.NextShardIterator);
    else {
      // A closed shard read to its end: its children come next.
      this.iterators.delete(shardId);
      this.shards = undefined;
      await this.save(shardId, { finished: true });
    }
    return records.length > 0;
  }

  private async newIterator(shardId: string): Promise<string> {
    const after = this.checkpoint.shards[shardId]?.sequence_number;
    const request = after
      ? {
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const,
          SequenceNumber: after,
        }
      : { StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: this.options.consumer.startingPosition };
    try {
      const { ShardIterator } = await this.streams.send(new GetShardIteratorCommand(request));
      if (!ShardIterator) throw new Error(`no iterator for shard ${shardId}`);
      return ShardIterator;
    } catch (error) {
      if ((error as Error).name !== 'TrimmedDataAccessException' || !after) throw error;
      this.options.log?.(
        `[events] change stream: records of shard ${shardId} after ${after} were trimmed before they were handed over; going on from the oldest one left`,
      );
      const { ShardIterator } = await this.streams.send(
        new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      if (!ShardIterator) throw new Error(`no iterator for shard ${shardId}`, { cause: error });
      return ShardIterator;
    }
  }

  /** Hands a page's matching records to the handler, a batch at a time; the checkpoint moves past the page's other records too. */
  private async handOver(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    const { consumer } = this.options;
    let batch: number[] = [];
    for (let index = 0; index < records.length; index++) {
      if (!matchesEventPattern(consumer.filter, records[index] as unknown as Record<string, unknown>)) continue;
      if (batch.length === consumer.batchSize) {
        await this.deliver(shardId, records, batch, index - 1);
        batch = [];
      }
      batch.push(index);
      if (this.stopping) return;
    }
    await this.deliver(shardId, records, batch, records.length - 1);
  }

  /** Invokes the handler with the records at `batch`; on success the position moves to the record at `last`. */
  private async deliver(shardId: string, records: DynamoDBRecord[], batch: number[], last: number): Promise<void> {
    const sequenceOf = (index: number) => records[index]?.dynamodb?.SequenceNumber;
    const failedAt =
      batch.length === 0 ? undefined : await this.invoke(batch.map((index) => records[index] as DynamoDBRecord));
    if (failedAt === undefined) {
      await this.save(shardId, { sequence_number: sequenceOf(last) });
      this.attempts.delete(shardId);
      this.retryAt.delete(shardId);
      return;
    }
    const failedIndex = batch[failedAt.index] as number;
    if (failedIndex > 0) await this.save(shardId, { sequence_number: sequenceOf(failedIndex - 1) });
    const failedSequence = sequenceOf(failedIndex) ?? '';
    const previous = this.attempts.get(shardId);
    const attempts = previous?.sequence === failedSequence ? previous.count + 1 : 1;
    const { consumer } = this.options;
    if (attempts > consumer.retryAttempts) {
      const failure: StreamFailure = {
        consumer: consumer.id,
        target: consumer.target,
        shard_id: shardId,
        sequence_number: failedSequence,
        attempts,
        error: failedAt.error,
        record: records[failedIndex] as DynamoDBRecord,
        failed_at: new Date().toISOString(),
      };
      await mkdir(path.dirname(this.options.failureFile), { recursive: true });
      await appendFile(this.options.failureFile, `${JSON.stringify(failure)}\n`);
      await this.save(shardId, { sequence_number: failedSequence });
      this.options.log?.(
        `[events] stream record ${failedSequence} failed ${attempts} times and was skipped: ${failedAt.error} (${this.options.failureFile})`,
      );
      this.attempts.delete(shardId);
      this.retryAt.delete(shardId);
    } else {
      this.attempts.set(shardId, { sequence: failedSequence, count: attempts });
      this.retryAt.set(
        shardId,
        Date.now() + Math.min(MAX_RETRY_DELAY_MS, (this.options.retryBaseDelayMs ?? 200) * 2 ** (attempts - 1)),
      );
    }
    throw new RetryLater(attempts <= consumer.retryAttempts);
  }

  /** The index of the first record the handler did not handle, and why; undefined when it handled them all. */
  private async invoke(batch: DynamoDBRecord[]): Promise<{ index: number; error: string } | undefined> {
    let response: DynamoDBBatchResponse | void;
    try {
      const { target } = this.options.consumer;
      response = await this.options.handler({ Records: batch }, lambdaContext(target, timeoutSecondsOf(target) * 1000));
    } catch (error) {
      return { index: 0, error: error instanceof Error ? error.message : String(error) };
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    const positions = failures.map((failure) =>
      batch.findIndex((record) => record.dynamodb?.SequenceNumber === failure.itemIdentifier),
    );
    // As Lambda does, an identifier that is not in the batch fails the whole batch.
    const index = positions.some((position) => position < 0) ? 0 : Math.min(...positions);
    return { index, error: `${this.options.consumer.target} reported the record failed (its log says why)` };
  }

  private async describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription: description } = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(description?.Shards ?? []));
      start = description?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  /** Records a shard's new position and writes the checkpoint atomically. */
  private async save(shardId: string, position: { sequence_number?: string; finished?: true }): Promise<void> {
    if (!position.finished && position.sequence_number === undefined) return;
    this.checkpoint = {
      ...this.checkpoint,
      shards: { ...this.checkpoint.shards, [shardId]: position },
      updated_at: new Date().toISOString(),
    };
    const file = this.options.checkpointFile;
    if (!file) return;
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.checkpoint, null, 2)}\n`);
    await rename(temporary, file);
  }

  private report(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.options.log?.(`[events] change stream: ${problem}; retrying`);
  }

  /** Waits `ms`, or until stopped or asked to catch up. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** Starts reading the stream; see {@link LocalChangeStream}. */
export function startChangeStream(options: ChangeStreamOptions): Promise<LocalChangeStream> {
  return LocalChangeStream.start(options);
}

async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<Checkpoint>;
  if (typeof parsed.stream_arn !== 'string' || typeof parsed.shards !== 'object' || parsed.shards === null) {
    throw new Error(`${file} is not a change-stream checkpoint; move it away to read the stream from its start`);
  }
  return parsed as Checkpoint;
}

/** A record as GetRecords returns it, in the shape Lambda delivers it to a function. */
export function toLambdaRecord(record: SdkStreamRecord, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb ?? {};
  const image = (value: Record<string, AttributeValue> | undefined) =>
    value === undefined
      ? undefined
      : Object.fromEntries(Object.entries(value).map(([name, attribute]) => [name, toJsonAttribute(attribute)]));
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(data.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: data.ApproximateCreationDateTime.getTime() / 1000 }
        : {}),
      Keys: image(data.Keys),
      ...(data.NewImage ? { NewImage: image(data.NewImage) } : {}),
      ...(data.OldImage ? { OldImage: image(data.OldImage) } : {}),
      SequenceNumber: data.SequenceNumber,
      SizeBytes: data.SizeBytes,
      StreamViewType: data.StreamViewType,
    },
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
  };
}

/** An attribute value in Lambda's JSON form: binary values base64-encoded. */
function toJsonAttribute(value: AttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((item) => Buffer.from(item).toString('base64')) };
  if (value.M !== undefined)
    return { M: Object.fromEntries(Object.entries(value.M).map(([name, item]) => [name, toJsonAttribute(item)])) };
  if (value.L !== undefined) return { L: value.L.map(toJsonAttribute) };
  return value as LambdaAttributeValue;
}
