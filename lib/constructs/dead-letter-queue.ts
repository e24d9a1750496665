import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends here, completing "This queue is itself the … of": it names the queue in the cdk-nag acknowledgement. */
  readonly receives: string;
  /** DESTROY unless given. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where failed deliveries end: encrypted, TLS only, kept 14 days (SQS's longest), and with no
 * dead-letter queue of its own.
 */
export class DeadLetterQueue extends Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the ${props.receives}; a DLQ of a DLQ would only move the problem.`,
    });
  }
}
