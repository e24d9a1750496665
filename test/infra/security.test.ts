import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { StageConfig } from '../../lib/config/stage-config.js';
import { DEFAULT_TIMEOUT_SECONDS, STREAM_ACTIONS } from '../../lib/constructs/service-function.js';
import { HANDLERS, TABLE_ACTIONS, type HandlerDeclaration, type HandlerName } from '../../lib/service/handlers.js';
import {
  STAGE_NAMES,
  allStatements,
  asArray,
  functionIdsByHandler,
  functionStatements,
  onlyResource,
  refId,
  removeSynthOutput,
  resolveImport,
  resolveImports,
  type Statement,
  synthStage,
  deniesInsecureTransport,
} from '../support/cdk.js';
import { orgBusRules } from './parity-diff.js';

const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];
const declaration = (name: HandlerName): HandlerDeclaration => HANDLERS[name];
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
/** The partition key of every job item (the job store's layout: `pk = JOBS`, `sk = <job id>`). */
const JOBS_PARTITION = 'JOBS';
const ROLLOUTS_PARTITION = 'ROLLOUTS';
/**
 * The only actions a statement may grant on Resource '*', apart from every function's X-Ray
 * writes, and only to the job state machine's role: none of them has resource-level permissions.
 * Step Functions needs the log-delivery actions to deliver its execution logs to the machine's log
 * group (level ALL, cdk-nag SF1), and the X-Ray actions, sampling included, to trace runs (SF2).
 */
const STATE_MACHINE_WILDCARD_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

const actionsOf = (statements: readonly Statement[]) =>
  statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
const dynamoActions = (statements: readonly Statement[]) =>
  actionsOf(statements).filter((action) => action.toLowerCase().startsWith('dynamodb:'));
/** Whether a statement grants reading the table's stream (and nothing else). */
const isStreamStatement = (s: Statement) =>
  asArray(s.Action).length > 0 && asArray(s.Action).every((action) => STREAM_ACTIONS.includes(action));
/** The statements on the table itself, not on its indexes or its stream. */
const tableStatements = (statements: readonly Statement[]) =>
  statements.filter((s) => !JSON.stringify(s.Resource).includes('/index/') && !isStreamStatement(s));
/** The logical id of the after-deploy sync's dead-letter queue (the stateless stack's other queue is the change publisher's). */
const deploySyncQueueId = (template: Template) => {
  const ids = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('AfterDeploySync'));
  if (ids.length !== 1) throw new Error(`expected one after-deploy sync queue, found ${ids.length}`);
  return ids[0] as string;
};
const isWriteAction = (action: string) =>
  action === '*' ||
  /^dynamodb:(\*|.*\*.*|Put|Update|Delete|BatchWrite|ConditionCheck|PartiQLInsert|PartiQLUpdate|PartiQLDelete)/i.test(
    action,
  );

describe.each(STAGE_NAMES)('security of stage %s', (stage) => {
  let config: StageConfig;
  let stateful: Template;
  let stateless: Template;
  let functions: Record<HandlerName, string>;

  beforeAll(() => {
    const synth = synthStage(stage);
    config = synth.config;
    stateful = synth.statefulTemplate;
    stateless = synth.statelessTemplate;
    functions = functionIdsByHandler(stateless);
  }, 120_000);
  afterAll(removeSynthOutput);

  describe('IAM', () => {
    it('the functions that only start, resume, record or read jobs and rollouts are confined to those partitions: each of their table statements carries dynamodb:LeadingKeys', () => {
      const confined = Object.fromEntries(
        HANDLER_NAMES.filter((name) => declaration(name).tablePartitions !== undefined).map((name) => [
          name,
          declaration(name).tablePartitions,
        ]),
      );
      const jobsOnly = [JOBS_PARTITION];
      const rolloutsAndJobs = [ROLLOUTS_PARTITION, JOBS_PARTITION];
      expect(confined).toEqual({
        'start-job': jobsOnly,
        'list-jobs': jobsOnly,
        'get-job': jobsOnly,
        'resume-job': jobsOnly,
        'deploy-sync': jobsOnly,
        'create-rollout': [ROLLOUTS_PARTITION],
        'list-rollouts': rolloutsAndJobs,
        'get-rollout': rolloutsAndJobs,
        'update-rollout': rolloutsAndJobs,
        'preview-rollout': rolloutsAndJobs,
      });
      for (const name of Object.keys(confined) as HandlerName[]) {
        const statements = functionStatements(stateless, functions[name]).filter(
          (s) => s.Effect === 'Allow' && dynamoActions([s]).length > 0,
        );
        expect(statements.length).toBeGreaterThan(0);
        for (const statement of statements) {
          const condition = statement.Condition ?? {};
          expect({
            name,
            actions: asArray(statement.Action),
            operators: Object.keys(condition),
            keys: Object.keys(condition['ForAllValues:StringEquals'] ?? {}),
            partitions: asArray(condition['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys']),
          }).toEqual({
            name,
            actions: asArray(statement.Action),
            operators: ['ForAllValues:StringEquals'],
            keys: ['dynamodb:LeadingKeys'],
            partitions: confined[name],
          });
        }
      }
    });

    it('only the functions that write org rows hold a DynamoDB write action without a partition condition, and no other role of the stacks holds one', () => {
      const unconfinedWriters = HANDLER_NAMES.filter((name) =>
        functionStatements(stateless, functions[name]).some(
          (s) => s.Effect === 'Allow' && actionsOf([s]).some(isWriteAction) && s.Condition === undefined,
        ),
      );
      expect(unconfinedWriters.sort()).toEqual([
        'bulk-set-flag',
        'job-worker',
        'org-created',
        'org-updated',
        'provision-org',
        'set-org-attributes',
        'set-org-flag',
      ]);
      const functionRoles = new Set(
        Object.values(functions).map(
          (id) => refId(stateless.findResources('AWS::Lambda::Function')[id]?.Properties.Role) ?? '',
        ),
      );
      const policiesOfFunctions = new Set(
        Object.entries(stateless.findResources('AWS::IAM::Policy'))
          .filter(([, policy]) =>
            asArray<unknown>(policy.Properties.Roles).some((r) => functionRoles.has(refId(r) ?? '')),
          )
          .map(([id]) => `AWS::IAM::Policy ${id}`),
      );
      for (const template of [stateful, stateless]) {
        for (const { source, statement } of allStatements(template)) {
          if (template === stateless && policiesOfFunctions.has(source)) continue;
          const writes = statement.Effect === 'Allow' ? actionsOf([statement]).filter(isWriteAction) : [];
          expect({ source, writes }).toEqual({ source, writes: [] });
        }
      }
    });

    it('functions that only read hold only their reads, their logs and X-Ray: no write action of any service', () => {
      const readers = HANDLER_NAMES.filter((name) => HANDLERS[name].tableAccess === 'read');
      expect(readers.length).toBeGreaterThan(0);
      const allowed = new Set([...TABLE_ACTIONS.read, 'logs:CreateLogStream', 'logs:PutLogEvents', ...XRAY_ACTIONS]);
      for (const name of readers) {
        expect({ name, grants: declaration(name).grants ?? [] }).toEqual({ name, grants: [] });
        const actions = actionsOf(functionStatements(stateless, functions[name]));
        expect({ name, other: actions.filter((action) => !allowed.has(action)) }).toEqual({ name, other: [] });
      }
    });

    it('functions with read or no table access hold no write action, and none-access functions no DynamoDB action', () => {
      for (const name of HANDLER_NAMES) {
        const access = HANDLERS[name].tableAccess;
        if (access !== 'none' && access !== 'read') continue;
        const statements = functionStatements(stateless, functions[name]);
        expect({ name, writes: actionsOf(statements).filter(isWriteAction) }).toEqual({ name, writes: [] });
        // `none` holds no DynamoDB action at all; `read` exactly the declared read actions.
        expect({ name, dynamodb: dynamoActions(tableStatements(statements)).sort() }).toEqual({
          name,
          dynamodb: [...TABLE_ACTIONS[access]].sort(),
        });
      }
    });

    it('read-put, read-write and read-write-delete functions hold exactly their table actions on the table', () => {
      const writers = HANDLER_NAMES.filter((name) =>
        ['read-put', 'read-write', 'read-write-delete'].includes(HANDLERS[name].tableAccess),
      );
      expect(writers.some((name) => HANDLERS[name].tableAccess === 'read-put')).toBe(true);
      expect(writers.some((name) => HANDLERS[name].tableAccess === 'read-write')).toBe(true);
      expect(writers.some((name) => HANDLERS[name].tableAccess === 'read-write-delete')).toBe(true);
      for (const name of writers) {
        expect({
          name,
          dynamodb: dynamoActions(tableStatements(functionStatements(stateless, functions[name]))).sort(),
        }).toEqual({
          name,
          dynamodb: [...TABLE_ACTIONS[HANDLERS[name].tableAccess]].sort(),
        });
      }
    });

    it('only read-write-delete functions may DeleteItem', () => {
      for (const name of HANDLER_NAMES) {
        const deletes = actionsOf(functionStatements(stateless, functions[name])).filter((action) =>
          /^dynamodb:(Delete|BatchWrite|PartiQLDelete|\*)/i.test(action),
        );
        expect({ name, deletes }).toEqual({
          name,
          deletes: HANDLERS[name].tableAccess === 'read-write-delete' ? ['dynamodb:DeleteItem'] : [],
        });
      }
    });

    it('table actions apply to the flag table only, indexes get Query alone and only where declared, and function roles carry no managed policies', () => {
      const [tableId] = onlyResource(stateful, 'AWS::DynamoDB::GlobalTable');
      const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
      for (const name of HANDLER_NAMES) {
        const indexStatements: Statement[] = [];
        for (const statement of functionStatements(stateless, functions[name]).filter(
          (s) => dynamoActions([s]).length > 0 && !isStreamStatement(s),
        )) {
          const resources = asArray(statement.Resource).map((resource) => resolveImports(stateful, resource));
          if (JSON.stringify(resources).includes('/index/')) indexStatements.push(statement);
          else expect({ name, resources }).toEqual({ name, resources: [tableArn] });
        }
        const indexes = declaration(name).tableIndexes ?? [];
        const granted = indexStatements.map((s) => ({
          Action: asArray(s.Action),
          Resource: asArray(s.Resource).map((r) => resolveImports(stateful, r)),
        }));
        expect({ name, granted }).toEqual({
          name,
          granted:
            indexes.length === 0
              ? []
              : [
                  {
                    Action: ['dynamodb:Query'],
                    Resource: indexes.map((index) => ({ 'Fn::Join': ['', [tableArn, `/index/${index}`]] })),
                  },
                ],
        });
        const roleId = refId(stateless.findResources('AWS::Lambda::Function')[functions[name]]?.Properties.Role) ?? '';
        expect(stateless.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    it("only functions declaring 'read-stream' may read the table's stream, and only that stream; only those declaring 'publish-events' may put events, and only on the org bus", () => {
      const [tableId] = onlyResource(stateful, 'AWS::DynamoDB::GlobalTable');
      const bus = stateful.findResources('AWS::Events::EventBus');
      const busArn = Object.keys(bus).length === 1 ? { 'Fn::GetAtt': [Object.keys(bus)[0], 'Arn'] } : undefined;
      for (const name of HANDLER_NAMES) {
        const statements = functionStatements(stateless, functions[name]).filter((s) => s.Effect === 'Allow');
        const grants = declaration(name).grants ?? [];
        const streamReads = statements.filter((s) =>
          asArray(s.Action).some((action) =>
            /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(action),
          ),
        );
        expect({
          name,
          streamReads: streamReads.map((s) => ({
            Action: asArray(s.Action).sort(),
            Resource: resolveImports(stateful, s.Resource),
          })),
        }).toEqual({
          name,
          streamReads: grants.includes('read-stream')
            ? [{ Action: [...STREAM_ACTIONS].sort(), Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] } }]
            : [],
        });
        const puts = statements.filter((s) =>
          asArray(s.Action).some((action) => action.toLowerCase().startsWith('events:')),
        );
        const expected = grants.includes('publish-events')
          ? [{ Action: ['events:PutEvents'], Resource: busArn ?? expect.anything() }]
          : [];
        expect({
          name,
          puts: puts.map((s) => ({ Action: asArray(s.Action), Resource: resolveImports(stateful, s.Resource) })),
        }).toEqual({ name, puts: expected });
      }
      expect(HANDLER_NAMES.filter((name) => (declaration(name).grants ?? []).includes('publish-events'))).toEqual([
        'publish-changes',
      ]);
      expect(HANDLER_NAMES.filter((name) => (declaration(name).grants ?? []).includes('read-stream'))).toEqual([
        'publish-changes',
      ]);
    });

    it('the change publisher holds nothing but its logs, X-Ray, the stream, PutEvents and sending to its failure queue', () => {
      const actions = functionStatements(stateless, functions['publish-changes'])
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asArray(s.Action))
        .sort();
      expect(actions).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          ...XRAY_ACTIONS,
          ...STREAM_ACTIONS,
          'events:PutEvents',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
        ].sort(),
      );
    });

    it("no statement has Resource '*' except X-Ray's PutTraceSegments/PutTelemetryRecords, and the state machine's log delivery and X-Ray (key policies excepted: there '*' is the key itself)", () => {
      const wildcardsOf = (template: Template) =>
        allStatements(template)
          .filter(({ source }) => !source.startsWith('AWS::KMS::Key'))
          .filter(({ statement }) => asArray(statement.Resource).includes('*') || statement.Resource === undefined);
      const [machineId, machine] = onlyResource(stateless, 'AWS::StepFunctions::StateMachine');
      const machineRoleId = refId(machine.Properties.RoleArn);
      const machinePolicies = new Set(
        Object.entries(stateless.findResources('AWS::IAM::Policy'))
          .filter(([, policy]) =>
            asArray<unknown>(policy.Properties.Roles).some((role) => refId(role) === machineRoleId),
          )
          .map(([id]) => `AWS::IAM::Policy ${id}`),
      );
      expect({ machineId, policies: machinePolicies.size }).toEqual({ machineId, policies: 1 });
      // Every function role has the X-Ray statement, so the check below is not vacuous.
      expect(wildcardsOf(stateless).length).toBeGreaterThan(0);
      const machineWildcards: string[] = [];
      for (const template of [stateful, stateless]) {
        for (const { source, statement } of wildcardsOf(template)) {
          const actions = asArray(statement.Action).sort();
          expect({ source, Effect: statement.Effect, Resource: statement.Resource }).toEqual({
            source,
            Effect: 'Allow',
            Resource: '*',
          });
          if (template === stateless && machinePolicies.has(source)) {
            machineWildcards.push(...actions);
            expect({
              source,
              unexpected: actions.filter((action) => !STATE_MACHINE_WILDCARD_ACTIONS.includes(action)),
            }).toEqual({ source, unexpected: [] });
          } else {
            expect({ source, Action: actions }).toEqual({ source, Action: XRAY_ACTIONS });
          }
        }
      }
      // The state machine holds exactly these, no fewer (else logging or tracing would fail at run time).
      expect(machineWildcards.sort()).toEqual(STATE_MACHINE_WILDCARD_ACTIONS);
    });

    it("no statement grants Action '*' or uses NotAction/NotResource", () => {
      for (const template of [stateful, stateless]) {
        for (const { source, statement } of allStatements(template)) {
          expect({ source, wildcard: asArray(statement.Action).includes('*') }).toEqual({ source, wildcard: false });
          expect({
            source,
            NotAction: statement.NotAction,
            NotResource: (statement as { NotResource?: unknown }).NotResource,
          }).toEqual({ source });
        }
      }
    });
  });

  describe('functions', () => {
    it('time out after their declared timeoutSeconds, or the default', () => {
      for (const name of HANDLER_NAMES) {
        const fn = stateless.findResources('AWS::Lambda::Function')[functions[name]];
        expect({ name, timeout: fn?.Properties.Timeout }).toEqual({
          name,
          timeout: declaration(name).timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        });
      }
    });

    it("besides the service's functions, the stacks run only aws-cdk-lib's admin UI deployment handler, bucket auto-delete provider and the custom resource that sets the API's CORS", () => {
      const serviceIds = new Set(Object.values(functions));
      // aws-cdk-lib names these two by fixed prefixes of their logical ids.
      const kind = (id: string) =>
        id.startsWith('CustomCDKBucketDeployment')
          ? 'bucket-deployment'
          : id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProvider')
            ? 'auto-delete-provider'
            : id.startsWith('AWS679f53fac002430cb0da5b7982bd2287')
              ? 'aws-custom-resource'
              : id;
      const others = Object.keys(stateless.findResources('AWS::Lambda::Function'))
        .filter((id) => !serviceIds.has(id))
        .map(kind);
      const expected =
        config.adminUi === false ? [] : ['auto-delete-provider', 'aws-custom-resource', 'bucket-deployment'];
      expect(others.sort()).toEqual(expected);
      expect(Object.keys(stateful.findResources('AWS::Lambda::Function'))).toEqual([]);
    });

    it('run Node.js 22 or newer on arm64 with active tracing, source maps and the stage log level', () => {
      const serviceFunctions = Object.fromEntries(
        Object.entries(stateless.findResources('AWS::Lambda::Function')).filter(([id]) =>
          Object.values(functions).includes(id),
        ),
      );
      expect(Object.keys(serviceFunctions)).toHaveLength(HANDLER_NAMES.length);
      Template.fromJSON({ Resources: serviceFunctions }).allResourcesProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
        Environment: {
          Variables: Match.objectLike({
            NODE_OPTIONS: Match.stringLikeRegexp('(^| )--enable-source-maps( |$)'),
            POWERTOOLS_LOG_LEVEL: config.logLevel,
          }),
        },
      });
      for (const [id, fn] of Object.entries(serviceFunctions)) {
        const version = /^nodejs(\d+)\.x$/.exec(String(fn.Properties.Runtime))?.[1];
        expect({ id, runtime: fn.Properties.Runtime, supported: Number(version) >= 22 }).toEqual({
          id,
          runtime: fn.Properties.Runtime,
          supported: true,
        });
      }
    });

    // The auto-delete provider is a CloudFormation resource provider of aws-cdk-lib, configured by it alone; it runs only when the admin UI's buckets are created or deleted.
    it("log to their own log group, kept for the stage's logRetentionDays (the admin UI deployment handler and the API's CORS custom resource too)", () => {
      const logGroups = stateless.findResources('AWS::Logs::LogGroup');
      const used = new Set<string>();
      const logging = Object.entries(stateless.findResources('AWS::Lambda::Function')).filter(
        ([id]) => !id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProvider'),
      );
      expect(logging.length).toBe(HANDLER_NAMES.length + (config.adminUi === false ? 0 : 2));
      for (const [id, fn] of logging) {
        const logGroupId = refId(fn.Properties.LoggingConfig?.LogGroup) ?? '';
        expect({ id, logGroupId, retention: logGroups[logGroupId]?.Properties.RetentionInDays }).toEqual({
          id,
          logGroupId,
          retention: config.logRetentionDays,
        });
        expect(used.has(logGroupId)).toBe(false);
        used.add(logGroupId);
      }
    });
  });

  describe('asynchronous delivery', () => {
    it('every rule target has a dead-letter queue and a retry policy', () => {
      const rules = Object.entries(stateless.findResources('AWS::Events::Rule'));
      expect(rules.length).toBeGreaterThan(0);
      for (const [id, rule] of rules) {
        for (const target of rule.Properties.Targets as Record<string, unknown>[]) {
          expect({ id, target }).toEqual({
            id,
            target: expect.objectContaining({
              DeadLetterConfig: { Arn: expect.anything() },
              RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
            }),
          });
        }
      }
    });

    it('every target function retries and then sends failures to the same dead-letter queue as its rule', () => {
      // Org-bus rules dead-letter to the stateful stack's queue; the after-deploy rule to the stateless stack's one.
      const [queueId] = onlyResource(stateful, 'AWS::SQS::Queue');
      const syncQueueId = deploySyncQueueId(stateless);
      const orgRules = new Set(orgBusRules(stateless).map(([id]) => id));
      const invokeConfigs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig'));
      for (const [ruleId, rule] of Object.entries(stateless.findResources('AWS::Events::Rule'))) {
        for (const target of rule.Properties.Targets as { Arn: unknown; DeadLetterConfig: { Arn: unknown } }[]) {
          expect({ ruleId, queue: resolveImport(stateful, target.DeadLetterConfig.Arn) }).toEqual({
            ruleId,
            queue: { 'Fn::GetAtt': [orgRules.has(ruleId) ? queueId : syncQueueId, 'Arn'] },
          });
          const functionId = refId(target.Arn);
          expect(functionId && stateless.findResources('AWS::Lambda::Function')[functionId]).toBeTruthy();
          // The rule invokes the unqualified function, so the $LATEST configuration applies.
          expect(target.Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
          const configs = invokeConfigs.filter((c) => refId(c.Properties.FunctionName) === functionId);
          expect(configs).toHaveLength(1);
          const props = configs[0]?.Properties;
          expect(props).toEqual(
            expect.objectContaining({
              Qualifier: '$LATEST',
              MaximumRetryAttempts: expect.any(Number),
              MaximumEventAgeInSeconds: expect.any(Number),
              DestinationConfig: { OnFailure: { Destination: target.DeadLetterConfig.Arn } },
            }),
          );
          expect(props.MaximumRetryAttempts).toBeLessThanOrEqual(2);
          // The function's role may send to the queue (Lambda delivers the failure with it).
          const sends = functionStatements(stateless, functionId as string).filter((s) =>
            asArray(s.Action).includes('sqs:SendMessage'),
          );
          expect(sends.map((s) => s.Resource)).toEqual([target.DeadLetterConfig.Arn]);
        }
      }
    });

    it("the dead-letter queue's policy admits the org bus's rules, the rules the queue receives from", () => {
      const [queueId] = onlyResource(stateful, 'AWS::SQS::Queue');
      const [, policy] = onlyResource(stateful, 'AWS::SQS::QueuePolicy');
      expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
      const admits = (policy.Properties.PolicyDocument.Statement as Statement[]).filter(
        (s) =>
          s.Effect === 'Allow' && JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }),
      );
      expect(admits).toHaveLength(1);
      expect(asArray(admits[0]?.Action)).toEqual(['sqs:SendMessage']);
      const sourceArn = JSON.stringify(admits[0]?.Condition?.ArnLike?.['aws:SourceArn']);
      for (const [, rule] of orgBusRules(stateless)) {
        const bus = resolveImport(stateful, rule.Properties.EventBusName);
        expect(sourceArn).toContain(`":rule/",${JSON.stringify(bus)},"/*"`);
      }
    });
  });

  describe('encryption and TLS', () => {
    it('the dead-letter queue is encrypted and refuses requests without TLS', () => {
      const [queueId, queue] = onlyResource(stateful, 'AWS::SQS::Queue');
      expect(queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined).toBe(
        true,
      );
      const [, policy] = onlyResource(stateful, 'AWS::SQS::QueuePolicy');
      const tls = (policy.Properties.PolicyDocument.Statement as Statement[]).filter(deniesInsecureTransport);
      expect(tls).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        }),
      ]);
    });

    it("the after-deploy sync's dead-letter queue is encrypted, refuses requests without TLS and admits exactly its rule", () => {
      const queueId = deploySyncQueueId(stateless);
      const queue = stateless.findResources('AWS::SQS::Queue')[queueId];
      expect(queue?.Properties.SqsManagedSseEnabled === true || queue?.Properties.KmsMasterKeyId !== undefined).toBe(
        true,
      );
      const policies = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')).filter(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      );
      expect(policies).toHaveLength(1);
      const [policy] = policies as [(typeof policies)[number]];
      const statements = policy.Properties.PolicyDocument.Statement as Statement[];
      expect(statements.filter(deniesInsecureTransport)).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        }),
      ]);
      const rules = Object.keys(stateless.findResources('AWS::Events::Rule')).filter(
        (id) => !orgBusRules(stateless).some(([orgId]) => orgId === id),
      );
      expect(rules).toHaveLength(1);
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rules[0], 'Arn'] } } },
        }),
      ]);
    });

    it('the alarm topic is encrypted with a rotated KMS key CloudWatch may use, and refuses publishing without TLS', () => {
      const [topicId, topic] = onlyResource(stateful, 'AWS::SNS::Topic');
      const keyId = refId(topic.Properties.KmsMasterKeyId) ?? '';
      const key = stateful.findResources('AWS::KMS::Key')[keyId];
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      expect(key?.Properties.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        }),
      );
      const [, policy] = onlyResource(stateful, 'AWS::SNS::TopicPolicy');
      expect(policy.Properties.Topics).toEqual([{ Ref: topicId }]);
      expect((policy.Properties.PolicyDocument.Statement as Statement[]).filter(deniesInsecureTransport)).toEqual([
        expect.objectContaining({ Action: 'sns:Publish', Principal: '*', Resource: { Ref: topicId } }),
      ]);
    });

    // An AWS::SNS::TopicPolicy replaces the topic's default access policy (which admits the
    // account's principals, CloudWatch's alarms among them). The policy `enforceSSL` creates holds
    // only the TLS Deny, so no resource-based statement lets the alarms publish: every alarm
    // action fails with "... is not authorized to perform: SNS:Publish ...".
    it('the alarm topic policy lets CloudWatch alarms publish (it replaces the default topic policy)', () => {
      const [topicId] = onlyResource(stateful, 'AWS::SNS::Topic');
      const [, policy] = onlyResource(stateful, 'AWS::SNS::TopicPolicy');
      const statements = policy.Properties.PolicyDocument.Statement as Statement[];
      const allowsCloudWatchPublish = statements.some(
        (s) =>
          s.Effect === 'Allow' &&
          asArray(s.Action).some((action) => action.toLowerCase() === 'sns:publish') &&
          asArray((s.Principal as { Service?: string | string[] } | undefined)?.Service).includes(
            'cloudwatch.amazonaws.com',
          ) &&
          JSON.stringify(s.Resource) === JSON.stringify({ Ref: topicId }),
      );
      expect({ allowsCloudWatchPublish, statements }).toEqual({ allowsCloudWatchPublish: true, statements });
    });
  });

  describe('API', () => {
    it('every route but GET /health and GET /openapi.json uses the JWT authorizer with the stage issuer and audience', () => {
      const [authorizerId] = onlyResource(stateless, 'AWS::ApiGatewayV2::Authorizer');
      stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: config.jwt
          ? { Issuer: config.jwt.issuer, Audience: Match.exact(config.jwt.audience) }
          : Match.objectLike({}),
      });
      const routes = Object.values(stateless.findResources('AWS::ApiGatewayV2::Route'));
      const open = routes
        .filter((route) => route.Properties.AuthorizationType === 'NONE')
        .map((route) => route.Properties.RouteKey);
      expect(open.sort()).toEqual(['GET /health', 'GET /openapi.json']);
      for (const route of routes.filter((r) => !open.includes(r.Properties.RouteKey))) {
        expect(route.Properties).toEqual(
          expect.objectContaining({
            AuthorizationType: 'JWT',
            AuthorizerId: { Ref: authorizerId },
            AuthorizationScopes: expect.arrayContaining([expect.any(String)]),
          }),
        );
      }
    });

    it('the stage writes access logs and throttles per the stage config', () => {
      const logGroups = stateless.findResources('AWS::Logs::LogGroup');
      stateless.allResourcesProperties('AWS::ApiGatewayV2::Stage', {
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
        DefaultRouteSettings: {
          ThrottlingRateLimit: config.throttle.rateLimit,
          ThrottlingBurstLimit: config.throttle.burstLimit,
        },
      });
      for (const apiStage of Object.values(stateless.findResources('AWS::ApiGatewayV2::Stage'))) {
        const logGroupId = refId(apiStage.Properties.AccessLogSettings.DestinationArn) ?? '';
        expect(logGroups[logGroupId]?.Properties.RetentionInDays).toBe(config.logRetentionDays);
      }
    });

    it("CORS admits exactly the stage's corsAllowOrigins, and the admin UI's origin through the custom resource that sets it at deploy", () => {
      const [, api] = onlyResource(stateless, 'AWS::ApiGatewayV2::Api');
      if (config.corsAllowOrigins.length === 0) expect(api.Properties.CorsConfiguration).toBeUndefined();
      else expect(api.Properties.CorsConfiguration?.AllowOrigins).toEqual(config.corsAllowOrigins);
      const custom = Object.values(stateless.findResources('Custom::ApiCors'));
      if (config.adminUi === false) expect(custom).toEqual([]);
      else {
        const [distributionId] = onlyResource(stateless, 'AWS::CloudFront::Distribution');
        expect(custom).toHaveLength(1);
        const create = JSON.stringify(custom[0]?.Properties.Create);
        expect(create).toContain(JSON.stringify({ 'Fn::GetAtt': [distributionId, 'DomainName'] }));
        expect(create.match(/AllowOrigins/g)).toHaveLength(1);
      }
    });
  });
});
