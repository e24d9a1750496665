import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { stageConfig } from '../../lib/config/stage-config.js';
import { ServiceFunction } from '../../lib/constructs/service-function.js';
import type { HandlerName } from '../../lib/service/handlers.js';
import { CHANGE_EVENTS_STREAM } from '../../lib/service/streams.js';
import { ITERATOR_AGE_ALARM_MS } from '../../lib/stateless/change-events.js';
import {
  STAGE_NAMES,
  cdkJsonStages,
  deniesInsecureTransport,
  functionIdsByHandler,
  newOutdir,
  onlyResource,
  refId,
  removeSynthOutput,
  resolveImport,
  type Resource,
  type Statement,
  synthStage,
} from '../support/cdk.js';

describe.each(STAGE_NAMES)('change events in AWS, stage %s', (stage) => {
  let stateful: Template;
  let stateless: Template;
  let publisherId: string;
  let mapping: Resource;
  let queueId: string;

  beforeAll(() => {
    const synth = synthStage(stage);
    stateful = synth.statefulTemplate;
    stateless = synth.statelessTemplate;
    publisherId = functionIdsByHandler(stateless)['publish-changes'];
    [, mapping] = onlyResource(stateless, 'AWS::Lambda::EventSourceMapping');
    queueId = refId(mapping.Properties.DestinationConfig?.OnFailure?.Destination) ?? '';
  }, 120_000);
  afterAll(removeSynthOutput);

  const alarmsOn = (metricName: string) =>
    Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === metricName,
    );

  it("maps the table's stream to the publisher with the declared filter, batch size, retries, record age, bisection and partial batch responses", () => {
    const [tableId] = onlyResource(stateful, 'AWS::DynamoDB::GlobalTable');
    expect(resolveImport(stateful, mapping.Properties.EventSourceArn)).toEqual({
      'Fn::GetAtt': [tableId, 'StreamArn'],
    });
    expect(mapping.Properties.FunctionName).toEqual({ Ref: publisherId });
    expect(
      mapping.Properties.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern)),
    ).toEqual([CHANGE_EVENTS_STREAM.filter]);
    expect(CHANGE_EVENTS_STREAM.filter).toEqual({
      eventName: ['INSERT'],
      dynamodb: { Keys: { pk: { S: [{ prefix: 'HIST#' }] } } },
    });
    expect(mapping.Properties).toEqual(
      expect.objectContaining({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: CHANGE_EVENTS_STREAM.batchSize,
        MaximumRetryAttempts: CHANGE_EVENTS_STREAM.retryAttempts,
        MaximumRecordAgeInSeconds: CHANGE_EVENTS_STREAM.maxRecordAgeSeconds,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ParallelizationFactor: 1,
      }),
    );
    // Bounded: a failing batch cannot block its shard for long.
    expect(CHANGE_EVENTS_STREAM.retryAttempts).toBeGreaterThan(0);
    expect(CHANGE_EVENTS_STREAM.retryAttempts).toBeLessThanOrEqual(20);
    expect(CHANGE_EVENTS_STREAM.maxRecordAgeSeconds).toBeLessThanOrEqual(24 * 3600);
    expect(mapping.Properties.Enabled ?? true).toBe(true);
  });

  it('sends a batch that failed every retry to its own failure queue, encrypted, TLS only, kept 14 days', () => {
    const queue = stateless.findResources('AWS::SQS::Queue')[queueId];
    expect(mapping.Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
    expect(queue?.Properties.SqsManagedSseEnabled === true || queue?.Properties.KmsMasterKeyId !== undefined).toBe(
      true,
    );
    expect(queue?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const policies = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')).filter(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Statement[];
    expect(statements.filter(deniesInsecureTransport)).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      }),
    ]);
    // Lambda sends the failure with the function's role: the only grant there is.
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('alarms, to the alarm topic, on a batch in the failure queue, the publisher falling behind, a failure not delivered to the queue, and its errors', () => {
    const [topicId] = onlyResource(stateful, 'AWS::SNS::Topic');
    const onPublisher = (alarm: Resource) =>
      JSON.stringify(alarm.Properties.Dimensions) ===
      JSON.stringify([{ Name: 'FunctionName', Value: { Ref: publisherId } }]);
    const queued = alarmsOn('ApproximateNumberOfMessagesVisible').filter(
      (alarm) =>
        JSON.stringify(alarm.Properties.Dimensions) ===
        JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]),
    );
    const behind = alarmsOn('IteratorAge').filter(onPublisher);
    const undelivered = alarmsOn('DestinationDeliveryFailures').filter(onPublisher);
    const errors = alarmsOn('Errors').filter(onPublisher);
    expect([queued.length, behind.length, undelivered.length, errors.length]).toEqual([1, 1, 1, 1]);
    expect(behind[0]?.Properties).toEqual(
      expect.objectContaining({
        Statistic: 'Maximum',
        Threshold: ITERATOR_AGE_ALARM_MS,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    expect(queued[0]?.Properties).toEqual(
      expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
    );
    for (const alarm of [...queued, ...behind, ...undelivered, ...errors]) {
      expect(alarm.Properties.AlarmActions.map((action: unknown) => resolveImport(stateful, action))).toEqual([
        { Ref: topicId },
      ]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('tells the publisher the org bus by name, and no other function', () => {
    const functions = functionIdsByHandler(stateless);
    const bus = stateful.findResources('AWS::Events::EventBus');
    for (const [name, id] of Object.entries(functions) as [HandlerName, string][]) {
      const env = stateless.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables as Record<
        string,
        unknown
      >;
      if (name !== 'publish-changes') {
        expect({ name, bus: 'EVENT_BUS_NAME' in env }).toEqual({ name, bus: false });
        continue;
      }
      if (Object.keys(bus).length === 1)
        expect(resolveImport(stateful, env.EVENT_BUS_NAME)).toEqual({ Ref: Object.keys(bus)[0] });
      else expect(env.EVENT_BUS_NAME).toBeDefined();
    }
  });
});

describe('ServiceFunction wires the stream and bus grants', () => {
  afterAll(removeSynthOutput);

  const scaffold = () => {
    const app = new App({ outdir: newOutdir(), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Grants');
    const table = new TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    const bus = new EventBus(stack, 'Bus');
    const fn = (handler: HandlerName) =>
      new ServiceFunction(stack, handler, { handler, config: stageConfig('dev', cdkJsonStages()), table });
    return { app, table, bus, fn };
  };

  it('refuses to wire them for a handler that does not declare them', () => {
    const { table, bus, fn } = scaffold();
    expect(() => fn('get-org-flags').allowReadingStream(table)).toThrow(
      /get-org-flags does not declare the grant 'read-stream'/,
    );
    expect(() => fn('set-org-flag').allowPublishingEvents(bus)).toThrow(
      /set-org-flag does not declare the grant 'publish-events'/,
    );
  });

  it('fails synth when the publisher is deployed without them, naming each', () => {
    const { app, fn } = scaffold();
    fn('publish-changes');
    expect(() => app.synth()).toThrow(
      /publish-changes declares the grant 'read-stream', but the stack did not wire it \(call allowReadingStream\(table\)\)/,
    );
  });
});
