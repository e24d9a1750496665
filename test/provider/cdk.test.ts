import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from '@jest/globals';
import { FeatureFlagChangesQueue, type FeatureFlagChangesQueueProps } from '../../provider/src/cdk.js';
import { thrownBy } from '../support/rejection.js';

const BUS_NAME = 'org-feature-flags-prod';
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** A consuming service's stack with the construct, and the app around it. */
function consumer(queue?: FeatureFlagChangesQueueProps['queue']): {
  app: App;
  stack: Stack;
  changes: FeatureFlagChangesQueue;
} {
  const outdir = mkdtempSync(path.join(tmpdir(), 'off-provider-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'ConsumerService', { env: { account: '123456789012', region: 'eu-west-1' } });
  const changes = new FeatureFlagChangesQueue(stack, 'FlagChanges', {
    eventBus: EventBus.fromEventBusName(stack, 'FlagBus', BUS_NAME),
    ...(queue === undefined ? {} : { queue }),
  });
  return { app, stack, changes };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

describe('FeatureFlagChangesQueue', () => {
  it('creates an encrypted queue with a 60 s visibility timeout and a dead-letter queue after 5 receives', () => {
    const { stack, changes } = consumer();
    const template = Template.fromStack(stack);
    const queueId = logicalId(stack, changes.queue);
    const dlqId = logicalId(stack, changes.deadLetterQueue);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(template.toJSON().Resources[queueId].Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.toJSON().Resources[dlqId].Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('denies every access without TLS to both queues', () => {
    const { stack, changes } = consumer();
    const template = Template.fromStack(stack);
    for (const queue of [changes.queue, changes.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(stack, queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] },
            }),
          ]),
        },
      });
    }
  });

  it('sends every FeatureFlagChanged of the org bus to the queue, undeliverable events to the dead-letter queue', () => {
    const { stack, changes } = consumer();
    const template = Template.fromStack(stack);
    const queueId = logicalId(stack, changes.queue);
    const dlqId = logicalId(stack, changes.deadLetterQueue);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: BUS_NAME,
      State: 'ENABLED',
      EventPattern: { source: ['org-feature-flags'], 'detail-type': ['FeatureFlagChanged'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        }),
      ],
    });
    const ruleArn = { 'Fn::GetAtt': [logicalId(stack, changes.rule), 'Arn'] };
    const sends: [string, unknown][] = [
      [queueId, ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']],
      [dlqId, 'sqs:SendMessage'],
    ];
    for (const [id, action] of sends) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: action,
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
            }),
          ]),
        },
      });
    }
  });

  it('takes overrides of the queue props', () => {
    const { stack, changes } = consumer({
      visibilityTimeout: Duration.seconds(300),
      queueName: 'consumer-flag-changes',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'consumer-flag-changes',
      VisibilityTimeout: 300,
      SqsManagedSseEnabled: true,
    });
    expect(changes.queue.node.id).toBe('Queue');
  });

  it('passes the cdk-nag AwsSolutions checks with no suppression', () => {
    const { app } = consumer();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    expect(thrownBy(() => app.synth())).toBeUndefined();
  });

  it('is caught by the checks when TLS is turned off (the checks run)', () => {
    const { app } = consumer({ enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    const message = thrownBy(() => app.synth());
    expect(message).toContain('AwsSolutions-SQS4');
  });
});
