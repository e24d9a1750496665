import { Duration } from 'aws-cdk-lib';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventSourceMapping, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamConsumerDeclaration } from '../service/streams.js';
import { notifyingAlarm } from './alarms.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';

/** How far behind the stream the publisher may fall (its iterator age) before the alarm fires. */
export const ITERATOR_AGE_ALARM_MS = 60_000;

/** Props of {@link ChangeEvents}. */
export interface ChangeEventsProps {
  /** The flag table; its stream feeds the publisher. */
  readonly table: ITable;
  /** Which records, batches and failure handling (lib/service/streams.ts). */
  readonly consumer: StreamConsumerDeclaration;
  /** The function of the declared target handler; the stack grants it the stream and the bus. */
  readonly publisher: IFunction;
  readonly alarmTopic: ITopic;
}

/**
 * `FeatureFlagChanged` from the table's stream: an event source mapping with the declared filter
 * (only insertions of history entries reach the function), batch size and failure handling:
 * partial batch responses, bisection, bounded retries and record age, and then the failure queue,
 * which receives where in the stream the batch was (not the records) for an operator to redrive.
 * Alarms: a batch in the failure queue, the publisher falling behind the stream, and a failure
 * that could not even be sent to the queue.
 */
export class ChangeEvents extends Construct {
  readonly mapping: EventSourceMapping;
  readonly failureQueue: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ChangeEventsProps) {
    super(scope, id);
    const { consumer } = props;
    if (!props.table.tableStreamArn) throw new Error('ChangeEvents: the flag table has no stream');

    this.failureQueue = new DeadLetterQueue(this, 'FailureQueue', {
      receives: 'on-failure destination of the change-event publisher',
    });

    this.mapping = new EventSourceMapping(this, 'StreamMapping', {
      target: props.publisher,
      eventSourceArn: props.table.tableStreamArn,
      startingPosition: StartingPosition[consumer.startingPosition],
      batchSize: consumer.batchSize,
      bisectBatchOnError: consumer.bisectBatchOnError,
      retryAttempts: consumer.retryAttempts,
      maxRecordAge: Duration.seconds(consumer.maxRecordAgeSeconds),
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      filters: [{ pattern: JSON.stringify(consumer.filter) }],
      onFailure: new SqsDlq(this.failureQueue),
    });

    const add = (name: string, metric: IMetric, threshold: number, description: string) =>
      this.alarms.push(notifyingAlarm(this, name, props.alarmTopic, metric, threshold, description));
    add(
      'FailedBatches',
      this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      1,
      'Change events were not published: a batch of the table stream failed every retry and its position waits in the failure queue. ' +
        'Redrive it (docs/deploy.md, "Redrive change events").',
    );
    add(
      'IteratorAge',
      props.publisher.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
      ITERATOR_AGE_ALARM_MS,
      `The change-event publisher is more than ${ITERATOR_AGE_ALARM_MS / 1000} s behind the table stream: FeatureFlagChanged events are late ` +
        '(a batch being retried, or the function failing or throttled).',
    );
    add(
      'LostFailures',
      props.publisher.metric('DestinationDeliveryFailures', { period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'A failed batch of change events could not be sent to the failure queue: those changes were not published and are not in the queue. ' +
        'Publish them again from the history entries of the time of the alarm (docs/deploy.md, "Redrive change events").',
    );
  }
}
