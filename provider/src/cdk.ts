import { Duration } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANGE_EVENT_SOURCE, FEATURE_FLAG_CHANGED } from './changes.js';

/** Props of {@link FeatureFlagChangesQueue}. */
export interface FeatureFlagChangesQueueProps {
  /** The org-feature-flags event bus, e.g. `EventBus.fromEventBusName(this, 'FlagBus', name)`. */
  readonly eventBus: IEventBus;
  /** Overrides of the queue's props (encryption, TLS only, 60 s visibility timeout and the dead-letter queue by default). */
  readonly queue?: Partial<QueueProps>;
}

/**
 * A queue of a consuming service that receives every `FeatureFlagChanged` event of the
 * org-feature-flags bus, for `invalidateFromSqsEvent` (a Lambda event source) or `pollQueue`
 * (a server). Both queues are SQS-encrypted and TLS only; a message received 5 times without being
 * deleted, or an event EventBridge could not deliver, goes to the dead-letter queue (kept 14 days).
 */
export class FeatureFlagChangesQueue extends Construct {
  /** The queue the changes arrive in. */
  readonly queue: Queue;
  /** Where undeliverable events and messages received too often end up. */
  readonly deadLetterQueue: Queue;
  /** The rule on the org-feature-flags bus that sends the changes to {@link queue}. */
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: FeatureFlagChangesQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      ...props.queue,
    });
    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: 'Every FeatureFlagChanged event of org-feature-flags, for the provider to invalidate the org',
      eventPattern: { source: [CHANGE_EVENT_SOURCE], detailType: [FEATURE_FLAG_CHANGED] },
    });
    this.rule.addTarget(new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue }));
  }
}
