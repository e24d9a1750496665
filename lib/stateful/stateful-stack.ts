import { ArnFormat, CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
  type ITableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import { FLAG_TABLE, type KeyAttribute } from '../service/table.js';
import { DevUserPool, type JwtTrust } from './dev-user-pool.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';

/** Props of the {@link StatefulStack}. */
export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

const attribute = (key: KeyAttribute) => ({
  name: key.name,
  type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
});

/**
 * What holds data or is shared with other systems: the flag table, the org event bus, the
 * dead-letter queue of event deliveries, the bucket of orphan exports and the alarm topic. Kept
 * apart so that the stateless stack can be replaced freely.
 */
export class StatefulStack extends Stack {
  readonly table: ITableV2;
  readonly eventBus: IEventBus;
  readonly deadLetterQueue: IQueue;
  /** Where orphan cleanups export the rows they delete, before deleting them. */
  readonly exportBucket: IBucket;
  readonly alarmTopic: ITopic;
  /** Whose tokens the API accepts: the configured identity provider, or this stage's dev user pool. */
  readonly jwtTrust: JwtTrust;
  /** With `devUserPool`: the pool (the stateless stack adds the admin UI's client to it). */
  readonly devUserPool?: DevUserPool;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new TableV2(this, 'FlagTable', {
      partitionKey: attribute(FLAG_TABLE.partitionKey),
      sortKey: attribute(FLAG_TABLE.sortKey),
      globalSecondaryIndexes: FLAG_TABLE.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
      })),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.retainData,
      dynamoStream: StreamViewType[FLAG_TABLE.streamViewType],
      removalPolicy,
    });

    if (config.existingEventBusName) {
      this.eventBus = EventBus.fromEventBusName(this, 'OrgEventBus', config.existingEventBusName);
    } else {
      const bus = new EventBus(this, 'OrgEventBus', { description: `Org lifecycle events (${config.stage})` });
      bus.applyRemovalPolicy(removalPolicy);
      this.eventBus = bus;
    }

    this.deadLetterQueue = new DeadLetterQueue(this, 'EventDeadLetterQueue', {
      receives: 'dead-letter queue of OrgCreated deliveries',
      removalPolicy,
    });
    const busName = this.eventBus.eventBusName;
    this.deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OrgBusRulesMayDeadLetter',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: config.existingEventBusName === 'default' ? '*' : `${busName}/*`,
            }),
          },
        },
      }),
    );

    // The exports are the only copy of the rows an orphan cleanup deleted (point-in-time recovery
    // covers 35 days only), so the bucket is kept in every stage, whatever retainData says.
    const exportBucket = new Bucket(this, 'ExportBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Kept with the bucket, so that a bucket left behind by a deleted stack still refuses requests without TLS.
    exportBucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(exportBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only orphan-cleanup exports: written once per page by the job worker (s3:PutObject under orphan-exports/, ' +
        'each write also recorded in its job) and read by operators during a restore. Server access logs (best effort, unattributed ' +
        'to a principal in part) would need a second retained bucket of their own; where object-level auditing is required, enable ' +
        'CloudTrail S3 data events for this bucket instead.',
    });
    this.exportBucket = exportBucket;

    const alarmKey = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts the org-feature-flags alarm topic (${config.stage})`,
      enableKeyRotation: true,
      removalPolicy,
    });
    alarmKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', { masterKey: alarmKey, enforceSSL: true });
    topic.applyRemovalPolicy(removalPolicy);
    // The TLS policy replaces SNS's default topic policy, so the alarms need their own grant.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmsMayPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    for (const email of config.alarmEmails) topic.addSubscription(new EmailSubscription(email));
    this.alarmTopic = topic;

    if (config.devUserPool) {
      this.devUserPool = new DevUserPool(this, 'DevUserPool', { stage: config.stage, removalPolicy });
      this.jwtTrust = this.devUserPool.trust;
    } else if (config.jwt) {
      this.jwtTrust = { issuer: config.jwt.issuer, audience: [...config.jwt.audience] };
    } else {
      throw new Error(`Stage ${config.stage} has neither jwt nor devUserPool`);
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The flag table' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'Publish OrgCreated here' });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'OrgCreated events that failed every delivery',
    });
    new CfnOutput(this, 'ExportBucketName', {
      value: exportBucket.bucketName,
      description: 'Orphan-cleanup exports, under orphan-exports/<job id>/',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn, description: 'Alarms of the service' });
  }
}
