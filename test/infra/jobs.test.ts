import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { stageConfig, type StageConfig } from '../../lib/config/stage-config.js';
import { EXPORT_PREFIX, ServiceFunction } from '../../lib/constructs/service-function.js';
import { HANDLERS, TABLE_ACTIONS, type HandlerDeclaration, type HandlerName } from '../../lib/service/handlers.js';
import { JOB_MACHINE } from '../../lib/service/jobs.js';
import { DEPLOY_COMPLETE_STATUSES, JOB_STATES } from '../../lib/stateless/jobs.js';
import {
  STAGE_NAMES,
  type AslDefinition,
  asArray,
  cdkJsonStages,
  functionIdsByHandler,
  functionStatements,
  grantPairs,
  newOutdir,
  onlyResource,
  refId,
  removeSynthOutput,
  resolveImport,
  roleStatements,
  type Statement,
  stateMachineDefinition,
  synthStage,
  deniesInsecureTransport,
} from '../support/cdk.js';
import { orgBusRules } from './parity-diff.js';

const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];
const grantsOf = (name: HandlerName) => (HANDLERS[name] as HandlerDeclaration).grants ?? [];

/** Step Functions' execution metrics the job alarm sums. */
const RUN_FAILURE_METRICS = ['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut'];

describe.each(STAGE_NAMES)('jobs in AWS, stage %s', (stage) => {
  let config: StageConfig;
  let stateful: Template;
  let stateless: Template;
  let functions: Record<HandlerName, string>;
  let machineId: string;
  let definition: AslDefinition;
  let ruleId: string;
  let bucketId: string;

  beforeAll(() => {
    const synth = synthStage(stage);
    config = synth.config;
    stateful = synth.statefulTemplate;
    stateless = synth.statelessTemplate;
    functions = functionIdsByHandler(stateless);
    [machineId] = onlyResource(stateless, 'AWS::StepFunctions::StateMachine');
    definition = stateMachineDefinition(stateless, machineId);
    const defaultBusRules = Object.keys(stateless.findResources('AWS::Events::Rule')).filter(
      (id) => !orgBusRules(stateless).some(([org]) => org === id),
    );
    if (defaultBusRules.length !== 1)
      throw new Error(`expected one rule on the default bus, found ${defaultBusRules.length}`);
    ruleId = defaultBusRules[0] as string;
    [bucketId] = onlyResource(stateful, 'AWS::S3::Bucket');
  }, 120_000);
  afterAll(removeSynthOutput);

  const state = (name: string) => {
    const found = definition.States[name];
    if (!found) throw new Error(`the definition has no state ${name}`);
    return found;
  };
  const workerArn = () => `\${${functions[JOB_MACHINE.worker]}.Arn}`;

  describe('the state machine', () => {
    it('is a standard machine, logging every event to its own log group (stage retention) and traced with X-Ray', () => {
      const [, machine] = onlyResource(stateless, 'AWS::StepFunctions::StateMachine');
      expect(machine.Properties.StateMachineType ?? 'STANDARD').toBe('STANDARD');
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.Properties.LoggingConfiguration).toEqual(expect.objectContaining({ Level: 'ALL' }));
      const destinations = machine.Properties.LoggingConfiguration.Destinations as {
        CloudWatchLogsLogGroup: { LogGroupArn: unknown };
      }[];
      expect(destinations).toHaveLength(1);
      const logGroupId = refId(destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn) ?? '';
      const logGroup = stateless.findResources('AWS::Logs::LogGroup')[logGroupId];
      expect(logGroup?.Properties.RetentionInDays).toBe(config.logRetentionDays);
      // Its own: no function logs there.
      for (const fn of Object.values(stateless.findResources('AWS::Lambda::Function')))
        expect(refId(fn.Properties.LoggingConfig?.LogGroup)).not.toBe(logGroupId);
    });

    it('starts with a step that invokes the worker with {action: run, job_id}, keeping the job id, with exactly the declared retry and timeout', () => {
      const run = state(definition.StartAt);
      expect(definition.StartAt).toBe(JOB_STATES.step);
      expect(run).toEqual(
        expect.objectContaining({
          Type: 'Task',
          Parameters: { FunctionName: workerArn(), Payload: { action: 'run', 'job_id.$': '$.job_id' } },
          ResultPath: '$.step',
          TimeoutSeconds: JOB_MACHINE.stepTimeoutSeconds,
          Retry: [
            {
              ErrorEquals: ['States.ALL'],
              MaxAttempts: JOB_MACHINE.retry.maxAttempts,
              IntervalSeconds: JOB_MACHINE.retry.intervalSeconds,
              BackoffRate: JOB_MACHINE.retry.backoffRate,
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: JOB_STATES.recordFailure }],
          Next: JOB_STATES.check,
        }),
      );
      // The selector reads the worker's output; the job id stays at $.job_id for the next step.
      expect(run.ResultSelector).toEqual(
        expect.objectContaining({ 'done.$': '$.Payload.done', 'status.$': '$.Payload.status' }),
      );
    });

    it('loops while the job is not done, succeeds when it succeeded, and ends in Fail when orgs failed or the output is unexpected', () => {
      const check = state(JOB_STATES.check);
      expect(check.Type).toBe('Choice');
      const targets = Object.fromEntries(
        (check.Choices ?? []).map((choice) => [JSON.stringify({ ...choice, Next: undefined }), choice.Next]),
      );
      const done = (value: boolean) => ({ Variable: '$.step.done', BooleanEquals: value });
      expect(targets).toEqual({
        [JSON.stringify(done(false))]: definition.StartAt,
        [JSON.stringify({ And: [done(true), { Variable: '$.step.status', StringEquals: 'succeeded' }] })]:
          JOB_STATES.succeeded,
        [JSON.stringify({ And: [done(true), { Variable: '$.step.status', StringEquals: 'failed' }] })]:
          JOB_STATES.orgsFailed,
      });
      expect(state(JOB_STATES.succeeded).Type).toBe('Succeed');
      expect(state(JOB_STATES.orgsFailed)).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'OrgsFailed' }));
      expect(state(check.Default ?? '').Type).toBe('Fail');
    });

    it('catches a step that failed after its retries, records the failure with the worker, and ends in Fail', () => {
      const record = state(JOB_STATES.recordFailure);
      expect(record).toEqual(
        expect.objectContaining({
          Type: 'Task',
          Parameters: {
            FunctionName: workerArn(),
            Payload: { action: 'fail', 'job_id.$': '$.job_id', 'error.$': '$.error' },
          },
          TimeoutSeconds: JOB_MACHINE.stepTimeoutSeconds,
          Next: JOB_STATES.gaveUp,
        }),
      );
      expect(record.Catch?.map((c) => c.Next)).toEqual([JOB_STATES.gaveUp]);
      expect(state(JOB_STATES.gaveUp)).toEqual(expect.objectContaining({ Type: 'Fail', Error: 'JobStepFailed' }));
      // No state other than the three ends runs: every path ends in Succeed or Fail.
      const ends = Object.entries(definition.States).filter(
        ([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End,
      );
      expect(ends.map(([name]) => name).sort()).toEqual(
        [JOB_STATES.gaveUp, JOB_STATES.orgsFailed, JOB_STATES.succeeded, JOB_STATES.unexpected].sort(),
      );
    });
  });

  describe('the job alarm', () => {
    it('fires on any failed, timed-out or aborted run of the state machine in 5 minutes, notifies the topic, and tells how to resume', () => {
      const [topicId] = onlyResource(stateful, 'AWS::SNS::Topic');
      const watching = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
        JSON.stringify(alarm.Properties.Metrics ?? []).includes(`"Ref":"${machineId}"`),
      );
      expect(watching).toHaveLength(1);
      const alarm = (watching[0] as (typeof watching)[number]).Properties;
      expect(alarm).toEqual(
        expect.objectContaining({
          Threshold: 1,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      );
      expect(asArray<unknown>(alarm.AlarmActions).map((action) => resolveImport(stateful, action))).toEqual([
        { Ref: topicId },
      ]);
      const metrics = alarm.Metrics as {
        Id: string;
        Expression?: string;
        ReturnData?: boolean;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: unknown };
          Period: number;
          Stat: string;
        };
      }[];
      const stats = metrics.filter((metric) => metric.MetricStat);
      expect(stats.map((metric) => metric.MetricStat?.Metric.MetricName).sort()).toEqual(RUN_FAILURE_METRICS);
      for (const metric of stats) {
        expect(metric.MetricStat).toEqual({
          Metric: {
            Namespace: 'AWS/States',
            MetricName: expect.any(String),
            Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
          },
          Period: 300,
          Stat: 'Sum',
        });
      }
      const [expression] = metrics.filter((metric) => metric.Expression);
      for (const metric of stats) expect(expression?.Expression).toContain(metric.Id);
      expect(expression?.Expression).toMatch(/^FILL\(\w+, 0\) \+ FILL\(\w+, 0\) \+ FILL\(\w+, 0\)$/);
      expect(alarm.AlarmDescription).toContain('GET /jobs');
      expect(alarm.AlarmDescription).toContain('POST /jobs/{job_id}/resume');
    });
  });

  describe('the sync after each deploy', () => {
    it("is a rule on the default bus for this stack's CREATE_COMPLETE and UPDATE_COMPLETE, and nothing else", () => {
      const rule = stateless.findResources('AWS::Events::Rule')[ruleId];
      expect(rule?.Properties.EventBusName === undefined || rule?.Properties.EventBusName === 'default').toBe(true);
      expect(rule?.Properties.State ?? 'ENABLED').toBe('ENABLED');
      expect(rule?.Properties.EventPattern).toEqual({
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        detail: { 'stack-id': [{ Ref: 'AWS::StackId' }], 'status-details': { status: [...DEPLOY_COMPLETE_STATUSES] } },
      });
      expect([...DEPLOY_COMPLETE_STATUSES]).toEqual(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);
    });

    it('targets deploy-sync with a retry policy and its dead-letter queue, which is also the on-failure destination of the function', () => {
      const [queueId] = Object.keys(stateless.findResources('AWS::SQS::Queue')).filter((id) =>
        id.startsWith('AfterDeploySync'),
      );
      const targets = stateless.findResources('AWS::Events::Rule')[ruleId]?.Properties.Targets as Record<
        string,
        unknown
      >[];
      expect(targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [functions['deploy-sync'], 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        }),
      ]);
      const configs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig')).filter(
        (c) => refId(c.Properties.FunctionName) === functions['deploy-sync'],
      );
      expect(configs.map((c) => c.Properties)).toEqual([
        expect.objectContaining({
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        }),
      ]);
      // EventBridge may invoke the function for this rule only.
      const permissions = Object.values(stateless.findResources('AWS::Lambda::Permission')).filter(
        (p) => refId(p.Properties.FunctionName) === functions['deploy-sync'],
      );
      expect(permissions.map((p) => [p.Properties.Principal, p.Properties.SourceArn])).toEqual([
        ['events.amazonaws.com', { 'Fn::GetAtt': [ruleId, 'Arn'] }],
      ]);
    });

    it("cannot fail a deployment: no custom resource or wait condition but the admin UI's file deployment and the one admitting its origin in the API's CORS, none of them touching the sync, and nothing depends on the rule or deploy-sync", () => {
      const dependedOn = new Set([ruleId, functions['deploy-sync']]);
      for (const template of [stateful, stateless]) {
        const resources = template.toJSON().Resources as Record<
          string,
          { Type: string; DependsOn?: string | string[]; Properties?: unknown }
        >;
        const blocking = Object.entries(resources).filter(
          ([, r]) =>
            r.Type.startsWith('Custom::') ||
            [
              'AWS::CloudFormation::CustomResource',
              'AWS::CloudFormation::WaitCondition',
              'AWS::CloudFormation::WaitConditionHandle',
            ].includes(r.Type),
        );
        expect(
          blocking
            .map(([id, r]) => `${r.Type} ${id}`)
            .filter(
              (entry) =>
                !/^Custom::(CDKBucketDeployment|S3AutoDeleteObjects) AdminUi/.test(entry) &&
                !/^Custom::ApiCors ApiCors/.test(entry),
            ),
        ).toEqual([]);
        const touchingSync = blocking.filter(([, r]) =>
          [...dependedOn].some((id) => JSON.stringify(r).includes(`"${id}"`)),
        );
        expect(touchingSync.map(([id]) => id)).toEqual([]);
        const dependents = Object.entries(resources)
          .filter(([, r]) => asArray(r.DependsOn).some((id) => dependedOn.has(id)))
          .map(([id]) => id);
        expect(dependents).toEqual([]);
      }
      // No output exposes them either (an output is read by other stacks at deploy time).
      expect(JSON.stringify(stateless.toJSON().Outputs ?? {})).not.toContain(ruleId);
    });
  });

  describe('least privilege', () => {
    it('the state machine role may invoke only the worker, plus log delivery and X-Ray on *', () => {
      const [, machine] = onlyResource(stateless, 'AWS::StepFunctions::StateMachine');
      const roleId = refId(machine.Properties.RoleArn) ?? '';
      const role = stateless.findResources('AWS::IAM::Role')[roleId];
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
        }),
      ]);
      const pairs = grantPairs(roleStatements(stateless, roleId), stateful);
      const worker = { 'Fn::GetAtt': [functions[JOB_MACHINE.worker], 'Arn'] };
      expect(pairs.filter((p) => p.action.startsWith('lambda:'))).toEqual([
        { action: 'lambda:InvokeFunction', resource: JSON.stringify(worker) },
        { action: 'lambda:InvokeFunction', resource: JSON.stringify({ 'Fn::Join': ['', [worker, ':*']] }) },
      ]);
      const rest = pairs.filter((p) => !p.action.startsWith('lambda:'));
      expect(rest.filter((p) => p.resource !== '"*"' || !/^(logs|xray):/.test(p.action))).toEqual([]);
      expect(roleStatements(stateless, roleId).every((s) => s.Effect === 'Allow')).toBe(true);
    });

    it('job-worker holds exactly read-write-delete on the table, Query on the orgs index and PutObject under orphan-exports/, besides its logs and X-Ray', () => {
      const [tableId] = onlyResource(stateful, 'AWS::DynamoDB::GlobalTable');
      const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
      const logGroupId = refId(
        stateless.findResources('AWS::Lambda::Function')[functions['job-worker']]?.Properties.LoggingConfig?.LogGroup,
      );
      const expected = [
        ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
          action,
          resource: JSON.stringify({ 'Fn::GetAtt': [logGroupId, 'Arn'] }),
        })),
        ...['xray:PutTelemetryRecords', 'xray:PutTraceSegments'].map((action) => ({ action, resource: '"*"' })),
        ...TABLE_ACTIONS['read-write-delete'].map((action) => ({ action, resource: JSON.stringify(tableArn) })),
        { action: 'dynamodb:Query', resource: JSON.stringify({ 'Fn::Join': ['', [tableArn, '/index/orgs']] }) },
        {
          action: 's3:PutObject',
          resource: JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${EXPORT_PREFIX}*`]] }),
        },
      ].sort((a, b) => `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`));
      expect(grantPairs(functionStatements(stateless, functions['job-worker']), stateful)).toEqual(expected);
      expect(HANDLERS['job-worker']).toEqual(
        expect.objectContaining({
          tableAccess: 'read-write-delete',
          tableIndexes: ['orgs'],
          grants: ['write-exports'],
        }),
      );
    });

    it('start-job, resume-job, deploy-sync and preview-rollout may start runs of this state machine only, and hold no s3 action or DeleteItem', () => {
      const starters = HANDLER_NAMES.filter((name) => grantsOf(name).includes('start-jobs'));
      expect(starters.sort()).toEqual(['deploy-sync', 'preview-rollout', 'resume-job', 'start-job']);
      for (const name of starters) {
        const pairs = grantPairs(functionStatements(stateless, functions[name]), stateful);
        expect({ name, states: pairs.filter((p) => p.action.startsWith('states:')) }).toEqual({
          name,
          states: [{ action: 'states:StartExecution', resource: JSON.stringify({ Ref: machineId }) }],
        });
        expect({
          name,
          other: pairs.filter((p) => p.action.startsWith('s3:') || p.action === 'dynamodb:DeleteItem'),
        }).toEqual({ name, other: [] });
        const env = stateless.findResources('AWS::Lambda::Function')[functions[name]]?.Properties.Environment.Variables;
        expect({ name, arn: env.JOB_STATE_MACHINE_ARN }).toEqual({ name, arn: { Ref: machineId } });
      }
    });

    it('no other function holds any states:* or s3:* action, or the job and export settings', () => {
      for (const name of HANDLER_NAMES) {
        const actions = grantPairs(functionStatements(stateless, functions[name]), stateful).map((p) => p.action);
        const env = stateless.findResources('AWS::Lambda::Function')[functions[name]]?.Properties.Environment
          .Variables as Record<string, unknown>;
        const states = grantsOf(name).includes('start-jobs');
        const exports = grantsOf(name).includes('write-exports');
        expect({
          name,
          states: actions.some((a) => a.startsWith('states:')),
          arn: 'JOB_STATE_MACHINE_ARN' in env,
        }).toEqual({ name, states, arn: states });
        expect({ name, s3: actions.some((a) => a.startsWith('s3:')), bucket: 'EXPORT_BUCKET' in env }).toEqual({
          name,
          s3: exports,
          bucket: exports,
        });
      }
      const bucketEnv =
        stateless.findResources('AWS::Lambda::Function')[functions['job-worker']]?.Properties.Environment.Variables
          .EXPORT_BUCKET;
      expect(resolveImport(stateful, bucketEnv)).toEqual({ Ref: bucketId });
    });
  });

  describe('the export bucket', () => {
    it('is versioned, encrypted, blocks public access, refuses requests without TLS and is retained in every stage', () => {
      const [, bucket] = onlyResource(stateful, 'AWS::S3::Bucket');
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        expect.objectContaining({
          ServerSideEncryptionByDefault: { SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms)$/) },
        }),
      ]);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const [, policy] = onlyResource(stateful, 'AWS::S3::BucketPolicy');
      expect(policy.Properties.Bucket).toEqual({ Ref: bucketId });
      // A bucket left behind by a deleted stack keeps refusing requests without TLS.
      expect(policy.DeletionPolicy).toBe('Retain');
      const statements = policy.Properties.PolicyDocument.Statement as Statement[];
      expect(statements.filter(deniesInsecureTransport)).toEqual([
        expect.objectContaining({
          Action: 's3:*',
          Principal: { AWS: '*' },
          Resource: [
            { 'Fn::GetAtt': [bucketId, 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
          ],
        }),
      ]);
      // The policy grants nothing: access comes from identity policies (the job worker's PutObject).
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
    });
  });
});

describe('ServiceFunction wires exactly the declared grants', () => {
  /** A stack with a table, a bucket and a state machine, and no bundling (nothing is deployed). */
  const scaffold = () => {
    const app = new App({ outdir: newOutdir(), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Grants');
    const table = new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const bucket = new Bucket(stack, 'Bucket');
    const machine = new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')),
    });
    const config = stageConfig('dev', cdkJsonStages());
    const fn = (handler: HandlerName) => new ServiceFunction(stack, handler, { handler, config, table });
    return { app, bucket, machine, fn };
  };
  afterAll(removeSynthOutput);

  it('a declared grant left unwired fails synth, naming the handler and the grant', () => {
    const { app, fn } = scaffold();
    fn('job-worker');
    expect(() => app.synth()).toThrow(/job-worker declares the grant 'write-exports', but the stack did not wire it/);
  });

  it('wiring a grant the handler does not declare throws', () => {
    const { bucket, machine, fn } = scaffold();
    expect(() => fn('get-job').allowStartingJobs(machine)).toThrow(/get-job does not declare the grant 'start-jobs'/);
    expect(() => fn('start-job').allowWritingExports(bucket)).toThrow(
      /start-job does not declare the grant 'write-exports'/,
    );
  });

  it('with every declared grant wired, synth passes', () => {
    const { app, bucket, machine, fn } = scaffold();
    fn('job-worker').allowWritingExports(bucket);
    fn('deploy-sync').allowStartingJobs(machine);
    expect(() => app.synth()).not.toThrow();
  });
});
