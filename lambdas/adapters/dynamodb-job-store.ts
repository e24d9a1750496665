import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors.js';
import type { JobStore } from '../domain/job-store.js';
import { zeroCounts, type Job } from '../domain/jobs.js';
import { conditionally, putIfAbsent, SortedPartition } from './dynamodb-calls.js';

/** Every job lives in one partition, sorted by id, which sorts by start time. */
export const JOBS_PK = 'JOBS';
const jobKey = (jobId: string) => ({ pk: JOBS_PK, sk: jobId });

/** Jobs on the flag table: one item per job, rewritten at each checkpoint. */
export class DynamoDbJobStore implements JobStore {
  private readonly partition: SortedPartition;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.partition = new SortedPartition(client, tableName, JOBS_PK);
  }

  async create(job: Job): Promise<void> {
    if (!(await putIfAbsent(this.client, this.tableName, toItem(job)))) {
      throw new ConflictError('job_exists', `A job with id ${job.id} exists already.`);
    }
  }

  async get(jobId: string): Promise<Job | undefined> {
    const item = await this.partition.get(jobId);
    return item ? fromItem(item) : undefined;
  }

  async list(limit: number, after?: string): Promise<{ jobs: Job[]; next?: string }> {
    const { items, next } = await this.partition.newestFirst(limit, after);
    return { jobs: items.map(fromItem), ...(next ? { next } : {}) };
  }

  save(next: Job, expected: Pick<Job, 'status' | 'pagesDone'>): Promise<boolean> {
    return conditionally(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(next),
          ConditionExpression: '#status = :status AND pages_done = :pages',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': expected.status, ':pages': expected.pagesDone },
        }),
      ),
    );
  }
}

function toItem(job: Job): Record<string, unknown> {
  return {
    ...jobKey(job.id),
    type: 'job',
    job_id: job.id,
    job_type: job.type,
    status: job.status,
    options: job.options,
    registry_version: job.registryVersion,
    created_at: job.createdAt,
    created_by: job.createdBy,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
    orgs_total: job.orgsTotal,
    pages_done: job.pagesDone,
    cursor: job.cursor,
    counts: job.counts,
    errors: job.errors,
    failure: job.failure,
    // Kept as JSON text: their key order is part of what the API shows.
    report_state: job.reportState && JSON.stringify(job.reportState),
    orphans_by_key: job.orphansByKey && JSON.stringify(job.orphansByKey),
    preview_tally: job.previewTally && JSON.stringify(job.previewTally),
    result: job.result && JSON.stringify(job.result),
    resumes: job.resumes,
  };
}

function fromItem(item: Record<string, unknown>): Job {
  const optional = <K extends string, V>(name: K, value: V | undefined) =>
    value === undefined ? {} : ({ [name]: value } as Record<K, V>);
  return {
    id: String(item.job_id),
    type: item.job_type as Job['type'],
    status: item.status as Job['status'],
    options: (item.options ?? {}) as Job['options'],
    registryVersion: String(item.registry_version),
    createdAt: String(item.created_at),
    createdBy: String(item.created_by),
    updatedAt: String(item.updated_at),
    pagesDone: Number(item.pages_done ?? 0),
    counts: { ...zeroCounts(), ...(item.counts as Partial<Job['counts']>) },
    errors: (item.errors ?? []) as Job['errors'],
    resumes: Number(item.resumes ?? 0),
    ...optional('finishedAt', item.finished_at as string | undefined),
    ...optional('orgsTotal', item.orgs_total as number | undefined),
    ...optional('cursor', item.cursor as Job['cursor']),
    ...optional('failure', item.failure as string | undefined),
    ...optional('reportState', fromJson<Job['reportState']>(item.report_state)),
    ...optional('orphansByKey', fromJson<Job['orphansByKey']>(item.orphans_by_key)),
    ...optional('previewTally', fromJson<Job['previewTally']>(item.preview_tally)),
    ...optional('result', fromJson<Job['result']>(item.result)),
  };
}

const fromJson = <T>(text: unknown): T | undefined => (typeof text === 'string' ? (JSON.parse(text) as T) : undefined);
