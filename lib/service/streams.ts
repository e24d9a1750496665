import { HISTORY_PK_PREFIX } from '../../lambdas/domain/change-events.js';
import type { EventPattern } from './event-pattern.js';
import type { HandlerName } from './handlers.js';

/**
 * A function fed by the flag table's stream: which records reach it (a Lambda event filter,
 * matched against each record as Lambda delivers it), in what batches, and what happens when it
 * fails. Declared once for the CDK event source mapping and the local stack's stream reader.
 */
export interface StreamConsumerDeclaration {
  readonly id: string;
  readonly description: string;
  readonly filter: EventPattern;
  readonly target: HandlerName;
  /** Where a consumer with no position yet starts: the oldest record the stream holds. */
  readonly startingPosition: 'TRIM_HORIZON';
  /** Most records per invocation. */
  readonly batchSize: number;
  /** Retries of a failed batch (in AWS, each bisected batch too) before it goes to the failure queue. */
  readonly retryAttempts: number;
  /** Age after which a record that still fails goes to the failure queue instead of being retried. */
  readonly maxRecordAgeSeconds: number;
  /** Splits a failing batch in two to isolate the record that fails. */
  readonly bisectBatchOnError: boolean;
}

/** The publisher of `FeatureFlagChanged`: every insertion of a history entry, and nothing else. */
export const CHANGE_EVENTS_STREAM: StreamConsumerDeclaration = {
  id: 'ChangeEvents',
  description: 'Publish FeatureFlagChanged for each history entry the table commits',
  filter: { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: HISTORY_PK_PREFIX }] } } } },
  target: 'publish-changes',
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  retryAttempts: 10,
  maxRecordAgeSeconds: 3600,
  bisectBatchOnError: true,
};
