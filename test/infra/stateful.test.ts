import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, Names } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { stageConfig } from '../../lib/config/stage-config.js';
import { StatefulStack } from '../../lib/stateful/stateful-stack.js';
import { orgBusRules } from './parity-diff.js';
import {
  STAGE_NAMES,
  cdkJsonStages,
  functionIdsByHandler,
  newOutdir,
  onlyResource,
  removeSynthOutput,
  resolveImport,
  type Resource,
  type SynthesizedStage,
  synthStage,
} from '../support/cdk.js';

/** Properties that give a resource a physical name; the project gives none (CloudFormation or the CDK names them). */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::Rule': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

const EXISTING_BUS = 'org-events-shared';

/** Resources of `template` that set a physical name, as `Type id: Property=value`. */
function namedResources(template: Template): string[] {
  return Object.entries(NAME_PROPERTIES).flatMap(([type, property]) =>
    Object.entries(template.findResources(type))
      .filter(([, resource]) => resource.Properties?.[property] !== undefined)
      .map(([id, resource]) => `${type} ${id}: ${property}=${JSON.stringify(resource.Properties[property])}`),
  );
}

const replicasOf = (table: Resource) => (table.Properties.Replicas ?? []) as Record<string, unknown>[];

describe('stateful resources and stack properties', () => {
  const synths: Record<string, SynthesizedStage> = {};
  let existingBus: SynthesizedStage;

  beforeAll(() => {
    for (const name of STAGE_NAMES) synths[name] = synthStage(name);
    const stages = cdkJsonStages();
    stages.dev = { ...stages.dev, existingEventBusName: EXISTING_BUS };
    existingBus = synthStage('dev', stages, { bundling: false });
  }, 120_000);
  afterAll(removeSynthOutput);

  const stage = (name: string) => synths[name] as SynthesizedStage;

  describe('prod', () => {
    it('is configured to retain data', () => {
      expect(stage('prod').config.retainData).toBe(true);
    });

    it('retains the table, which has point-in-time recovery, deletion protection and SSE', () => {
      const template = stage('prod').statefulTemplate;
      template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      const [, table] = onlyResource(template, 'AWS::DynamoDB::GlobalTable');
      expect(table.Properties.SSESpecification).toEqual(expect.objectContaining({ SSEEnabled: true }));
      expect(replicasOf(table).length).toBeGreaterThan(0);
      for (const replica of replicasOf(table)) {
        expect(replica).toEqual(
          expect.objectContaining({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        );
      }
    });

    it('retains the dead-letter queue and the alarm key', () => {
      const template = stage('prod').statefulTemplate;
      template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('protects the stateful stack from termination', () => {
      const { assembly, stateful } = stage('prod');
      expect(stateful.terminationProtection).toBe(true);
      expect(assembly.getStackByName(stateful.stackName).terminationProtection).toBe(true);
    });
  });

  describe('dev', () => {
    it('is configured not to retain data', () => {
      expect(stage('dev').config.retainData).toBe(false);
    });

    it('deletes the table with the stack and has no deletion protection, but keeps point-in-time recovery and SSE', () => {
      const template = stage('dev').statefulTemplate;
      template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      const [, table] = onlyResource(template, 'AWS::DynamoDB::GlobalTable');
      expect(table.Properties.SSESpecification).toEqual(expect.objectContaining({ SSEEnabled: true }));
      expect(replicasOf(table).length).toBeGreaterThan(0);
      for (const replica of replicasOf(table)) {
        expect(replica.DeletionProtectionEnabled ?? false).toBe(false);
        expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      }
    });

    it('deletes the dead-letter queue and the alarm key with the stack, and has no termination protection', () => {
      const { assembly, stateful, statefulTemplate } = stage('dev');
      statefulTemplate.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
      statefulTemplate.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
      expect(assembly.getStackByName(stateful.stackName).terminationProtection ?? false).toBe(false);
    });
  });

  describe.each(STAGE_NAMES)('stage %s', (name) => {
    it('no resource of either stack has a physical name; the created event bus has the name the CDK generates', () => {
      const synth = stage(name);
      expect(namedResources(synth.statefulTemplate)).toEqual([]);
      expect(namedResources(synth.statelessTemplate)).toEqual([]);
      // CloudFormation requires an event bus name; the project sets none, so the CDK derives it from the construct path.
      const [, bus] = onlyResource(synth.statefulTemplate, 'AWS::Events::EventBus');
      expect(bus.Properties.Name).toBe(Names.uniqueId(synth.stateful.eventBus));
    });

    it('the stateful stack outputs the table, bus and export bucket names; the stateless stack the API URL', () => {
      const { statefulTemplate, statelessTemplate } = stage(name);
      const [tableId] = onlyResource(statefulTemplate, 'AWS::DynamoDB::GlobalTable');
      const [busId] = onlyResource(statefulTemplate, 'AWS::Events::EventBus');
      const [bucketId] = onlyResource(statefulTemplate, 'AWS::S3::Bucket');
      const [apiId] = onlyResource(statelessTemplate, 'AWS::ApiGatewayV2::Api');
      statefulTemplate.hasOutput('TableName', { Value: { Ref: tableId } });
      statefulTemplate.hasOutput('EventBusName', { Value: { Ref: busId } });
      statefulTemplate.hasOutput('ExportBucketName', { Value: { Ref: bucketId } });
      expect(
        Object.keys(statelessTemplate.findOutputs('*', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } })),
      ).toHaveLength(1);
    });

    it('alarms on dead letters (of OrgCreated and of the after-deploy sync), on errors and throttles of every function and on API 5xx, each notifying the alarm topic', () => {
      const { statefulTemplate, statelessTemplate } = stage(name);
      const [queueId] = onlyResource(statefulTemplate, 'AWS::SQS::Queue');
      const [syncQueueId] = Object.keys(statelessTemplate.findResources('AWS::SQS::Queue')).filter((id) =>
        id.startsWith('AfterDeploySync'),
      );
      const [topicId] = onlyResource(statefulTemplate, 'AWS::SNS::Topic');
      const [apiId] = onlyResource(statelessTemplate, 'AWS::ApiGatewayV2::Api');
      const alarms = Object.values(statelessTemplate.findResources('AWS::CloudWatch::Alarm')).map(
        (alarm) => alarm.Properties,
      );

      const notifiesTopic = (alarm: Record<string, unknown>) =>
        ((alarm.AlarmActions ?? []) as unknown[]).some(
          (action) => JSON.stringify(resolveImport(statefulTemplate, action)) === JSON.stringify({ Ref: topicId }),
        );
      const dimension = (alarm: Record<string, unknown>, dimensionName: string) =>
        ((alarm.Dimensions ?? []) as { Name: string; Value: unknown }[]).find((d) => d.Name === dimensionName)?.Value;
      const alarmsOn = (namespace: string, metric: string, dimensionName: string, value: unknown) =>
        alarms.filter(
          (alarm) =>
            alarm.Namespace === namespace &&
            alarm.MetricName === metric &&
            JSON.stringify(resolveImport(statefulTemplate, dimension(alarm, dimensionName))) === JSON.stringify(value),
        );
      const expectAlarm = (what: string, found: Record<string, unknown>[]) => {
        expect({ what, found: found.length > 0, notify: found.every(notifiesTopic) }).toEqual({
          what,
          found: true,
          notify: true,
        });
      };

      expectAlarm(
        'dead letters',
        alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', {
          'Fn::GetAtt': [queueId, 'QueueName'],
        }),
      );
      expectAlarm(
        'after-deploy dead letters',
        alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', {
          'Fn::GetAtt': [syncQueueId, 'QueueName'],
        }),
      );
      for (const [handler, functionId] of Object.entries(functionIdsByHandler(statelessTemplate))) {
        expectAlarm(`${handler} errors`, alarmsOn('AWS/Lambda', 'Errors', 'FunctionName', { Ref: functionId }));
        expectAlarm(`${handler} throttles`, alarmsOn('AWS/Lambda', 'Throttles', 'FunctionName', { Ref: functionId }));
      }
      expectAlarm('API 5xx', alarmsOn('AWS/ApiGateway', '5xx', 'ApiId', { Ref: apiId }));
      // Every alarm, these and any other, notifies the topic.
      expect(alarms.filter((alarm) => !notifiesTopic(alarm))).toEqual([]);
    });
  });

  describe('a stage attached to an existing event bus', () => {
    it('creates no event bus and puts its rules on the named bus', () => {
      const { statefulTemplate, statelessTemplate } = existingBus;
      expect(existingBus.config.existingEventBusName).toBe(EXISTING_BUS);
      expect(statefulTemplate.findResources('AWS::Events::EventBus')).toEqual({});
      // The org rules; the after-deploy sync rule stays on the default bus, where CloudFormation sends its events.
      const rules = orgBusRules(statelessTemplate).map(([, rule]) => rule);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules)
        expect(resolveImport(statefulTemplate, rule.Properties.EventBusName)).toBe(EXISTING_BUS);
      statefulTemplate.hasOutput('EventBusName', { Value: EXISTING_BUS });
    });

    it('lets the rules of that bus dead-letter, and still names nothing else', () => {
      const { statefulTemplate, statelessTemplate } = existingBus;
      statefulTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: {
                ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([`:rule/${EXISTING_BUS}/*`])] } },
              },
            }),
          ]),
        },
      });
      expect(namedResources(statefulTemplate)).toEqual([]);
      expect(namedResources(statelessTemplate)).toEqual([]);
    });

    it("on the account's default bus, the queue admits the default bus's rules (rule/<name>, no bus segment)", () => {
      // Only the stateful stack is needed here, so it is built alone (no function bundling).
      const stages = cdkJsonStages();
      stages.dev = { ...stages.dev, existingEventBusName: 'default' };
      const config = stageConfig('dev', stages);
      const template = Template.fromStack(
        new StatefulStack(new App({ outdir: newOutdir() }), 'DefaultBus', { config }),
      );
      const policy = onlyResource(template, 'AWS::SQS::QueuePolicy')[1];
      const admit = (
        policy.Properties.PolicyDocument.Statement as {
          Sid?: string;
          Condition?: { ArnLike?: Record<string, unknown> };
        }[]
      ).find((statement) => statement.Sid === 'OrgBusRulesMayDeadLetter');
      expect(JSON.stringify(admit?.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(/":rule\/\*"\]\]\}$/);
      template.hasOutput('EventBusName', { Value: 'default' });
    });
  });
});
