import { setTimeout as delay } from 'node:timers/promises';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@openfeature/server-sdk';
import { orgIdOfChange, type Invalidatable } from './changes.js';

/** The part of a Lambda SQS event read here (`SQSEvent` of `@types/aws-lambda` is one). */
export interface SqsEventLike {
  readonly Records: ReadonlyArray<{ readonly messageId: string; readonly body: string }>;
}

/** A Lambda SQS batch response (`SQSBatchResponse` of `@types/aws-lambda`). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** Options of {@link invalidateFromSqsEvent}. */
export interface InvalidateFromSqsOptions {
  /** Where unreadable records are reported; default the console. */
  readonly logger?: Logger;
}

/**
 * For a Lambda function whose event source is the queue of `FeatureFlagChangesQueue`: invalidates
 * each org named by the batch's `FeatureFlagChanged` events once, and resolves when their
 * revalidations are done. A record that is not such an event is logged and skipped (never retried),
 * so the answer has no failures; return it from the handler (with `reportBatchItemFailures` on, or not).
 */
export async function invalidateFromSqsEvent(
  provider: Invalidatable,
  event: SqsEventLike,
  options: InvalidateFromSqsOptions = {},
): Promise<SqsBatchResponse> {
  await invalidateOrgsOf(
    provider,
    event.Records.map((record) => ({ id: record.messageId, body: record.body })),
    options.logger ?? console,
  );
  return { batchItemFailures: [] };
}

/** Options of {@link pollQueue}. */
export interface PollQueueOptions {
  /** An SQS client of the queue's region. */
  readonly client: SQSClient;
  /** The queue's URL (`FeatureFlagChangesQueue.queue.queueUrl`). */
  readonly queueUrl: string;
  /** Stops polling; a receive under way is abandoned (its messages come back after the visibility timeout). */
  readonly signal: AbortSignal;
  /** Long polling wait, 0 to 20 s. Default 20. */
  readonly waitTimeSeconds?: number;
  /** Where errors and unreadable messages are reported; default the console. */
  readonly logger?: Logger;
}

/** First and longest wait after a failed receive or delete, in milliseconds (doubling in between). */
export const POLL_BACKOFF_MS = { first: 1_000, max: 30_000 } as const;

/**
 * For a long-running server: receives the queue's messages (long polling), invalidates the orgs
 * they name, deletes them, and again, until `signal` aborts. Errors are logged and retried after
 * a wait (1 s, doubling to 30 s); the promise resolves once aborted and never rejects.
 */
export async function pollQueue(provider: Invalidatable, options: PollQueueOptions): Promise<void> {
  const { client, queueUrl, signal } = options;
  const logger = options.logger ?? console;
  let backoffMs = 0;
  while (!signal.aborted) {
    try {
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        }),
        { abortSignal: signal },
      );
      const messages = (received.Messages ?? []).filter(
        (message): message is Message & { ReceiptHandle: string } => message.ReceiptHandle !== undefined,
      );
      if (messages.length > 0) {
        await invalidateOrgsOf(
          provider,
          messages.map((message) => ({ id: message.MessageId ?? '?', body: message.Body ?? '' })),
          logger,
        );
        const deleted = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
        for (const failure of deleted.Failed ?? []) {
          logger.warn(
            `org-feature-flags: could not delete message ${failure.Id ?? '?'} from the change queue (${failure.Code ?? '?'}: ${failure.Message ?? ''})`,
          );
        }
      }
      backoffMs = 0;
    } catch (error) {
      if (signal.aborted) break;
      backoffMs = backoffMs === 0 ? POLL_BACKOFF_MS.first : Math.min(backoffMs * 2, POLL_BACKOFF_MS.max);
      logger.error(`org-feature-flags: polling the change queue failed; trying again in ${backoffMs} ms`, error);
      // An abort ends the wait early (and the loop with it).
      await delay(backoffMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Invalidates, once each, the orgs named by the `FeatureFlagChanged` events among `messages`; other messages are logged. */
async function invalidateOrgsOf(
  provider: Invalidatable,
  messages: ReadonlyArray<{ id: string; body: string }>,
  logger: Logger,
): Promise<void> {
  const orgIds = new Set<string>();
  for (const message of messages) {
    const orgId = orgIdOfChange(message.body);
    if (orgId === undefined)
      logger.warn(`org-feature-flags: message ${message.id} is not a FeatureFlagChanged event; skipped`);
    else orgIds.add(orgId);
  }
  await Promise.all([...orgIds].map((orgId) => provider.invalidate(orgId)));
}
