import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import type { JobMachineDeclaration } from '../service/jobs.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';

/** Names of the states of the job state machine, as its definition (and the tests) spell them. */
export const JOB_STATES = {
  step: 'RunPage',
  check: 'CheckDone',
  succeeded: 'JobSucceeded',
  orgsFailed: 'OrgsFailed',
  unexpected: 'UnexpectedStepOutput',
  recordFailure: 'RecordFailure',
  gaveUp: 'EngineGaveUp',
} as const;

/** Props of {@link JobEngine}. */
export interface JobEngineProps {
  readonly config: StageConfig;
  /** How the engine runs: the worker, its retries and the step timeout (lib/service/jobs.ts). */
  readonly machine: JobMachineDeclaration;
  /** The function of the declared worker handler. */
  readonly worker: IFunction;
}

/**
 * The engine of jobs over all orgs: a standard Step Functions state machine that runs one page of
 * the job per step, built from the same declaration as the local engine (lib/local/job-engine.ts).
 *
 * `RunPage` invokes the worker with `{action: 'run', job_id}` and keeps the job id in the state; a
 * failed or timed-out step is retried as declared. `JobDone?` loops back while the job is not done,
 * ends in `JobSucceeded` when it succeeded and in the `OrgsFailed` Fail state when orgs failed (a
 * new job retries them). When the retries are spent, `RecordFailure` invokes the worker with
 * `{action: 'fail', job_id, error}` so that the job shows failed and can be resumed, and the run
 * ends in the `EngineGaveUp` Fail state. Every run is logged (level ALL) and traced with X-Ray.
 */
export class JobEngine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: JobEngineProps) {
    super(scope, id);
    const { config, machine, worker } = props;
    const retry = {
      errors: [Errors.ALL],
      maxAttempts: machine.retry.maxAttempts,
      interval: Duration.seconds(machine.retry.intervalSeconds),
      backoffRate: machine.retry.backoffRate,
    };
    const taskTimeout = Timeout.duration(Duration.seconds(machine.stepTimeoutSeconds));

    const gaveUp = new Fail(this, JOB_STATES.gaveUp, {
      error: 'JobStepFailed',
      cause:
        'A step failed after its retries; the job is marked failed. GET /jobs/{job_id} shows why; POST /jobs/{job_id}/resume continues it from its checkpoint.',
    });
    const recordFailure = new LambdaInvoke(this, JOB_STATES.recordFailure, {
      lambdaFunction: worker,
      payload: TaskInput.fromObject({
        action: 'fail',
        job_id: JsonPath.stringAt('$.job_id'),
        error: JsonPath.objectAt('$.error'),
      }),
      retryOnServiceExceptions: false,
      resultPath: JsonPath.DISCARD,
      taskTimeout,
    });
    recordFailure.addRetry(retry);
    // Recording can fail too (the table unavailable for minutes): the run still ends failed, and
    // the job alarm fires either way.
    recordFailure.addCatch(gaveUp, { errors: [Errors.ALL], resultPath: '$.recordError' });
    recordFailure.next(gaveUp);

    const step = new LambdaInvoke(this, JOB_STATES.step, {
      lambdaFunction: worker,
      payload: TaskInput.fromObject({ action: 'run', job_id: JsonPath.stringAt('$.job_id') }),
      retryOnServiceExceptions: false,
      resultSelector: {
        done: JsonPath.stringAt('$.Payload.done'),
        status: JsonPath.stringAt('$.Payload.status'),
        orgs_done: JsonPath.stringAt('$.Payload.orgs_done'),
        orgs_total: JsonPath.stringAt('$.Payload.orgs_total'),
      },
      resultPath: '$.step',
      taskTimeout,
    });
    step.addRetry(retry);
    step.addCatch(recordFailure, { errors: [Errors.ALL], resultPath: '$.error' });

    const check = new Choice(this, JOB_STATES.check)
      .when(Condition.booleanEquals('$.step.done', false), step)
      .when(
        Condition.and(
          Condition.booleanEquals('$.step.done', true),
          Condition.stringEquals('$.step.status', 'succeeded'),
        ),
        new Succeed(this, JOB_STATES.succeeded),
      )
      .when(
        Condition.and(Condition.booleanEquals('$.step.done', true), Condition.stringEquals('$.step.status', 'failed')),
        new Fail(this, JOB_STATES.orgsFailed, {
          error: 'OrgsFailed',
          cause:
            'The job went through every org, and some failed; GET /jobs/{job_id} lists the first errors. A new job of the same type retries them.',
        }),
      )
      .otherwise(
        new Fail(this, JOB_STATES.unexpected, {
          error: 'UnexpectedStepOutput',
          cause: 'The worker returned neither a running nor a finished job.',
        }),
      );

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: `Jobs over all orgs, one page per step (${config.stage})`,
      definitionBody: DefinitionBody.fromChainable(step.next(check)),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    const workerArn = Stack.of(this).resolve(worker.functionArn) as { 'Fn::GetAtt'?: [string, string] };
    const workerId = workerArn['Fn::GetAtt']?.[0];
    if (!workerId) throw new Error('The job worker must be a function of this stack');
    Validations.of(this.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${workerId}.Arn>:*]`,
      reason:
        'The Step Functions Lambda integration grants invoking the worker and its versions (ARN:*); the worker is the only function it may invoke.',
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, ' +
        'DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) ' +
        'have no resource-level permissions; Step Functions needs them for logging and tracing.',
    });
  }
}

/** How the after-deploy event reaches deploy-sync: EventBridge's retries, then Lambda's, then the queue. */
export const DEPLOY_SYNC_DELIVERY = { retryAttempts: 4, maxEventAgeSeconds: 3600, lambdaRetryAttempts: 2 } as const;

/** The statuses of the stateless stack after which a sync starts: a deploy that completed. */
export const DEPLOY_COMPLETE_STATUSES = ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] as const;

/** Props of {@link AfterDeploySync}. */
export interface AfterDeploySyncProps {
  readonly config: StageConfig;
  /** The deploy-sync function. */
  readonly target: IFunction;
}

/**
 * Starts a sync after each completed deploy of this stack: a rule on the account's default bus
 * for CloudFormation's `CloudFormation Stack Status Change` events of this stack reaching
 * CREATE_COMPLETE or UPDATE_COMPLETE, targeting deploy-sync.
 *
 * This is deliberately not a CDK Trigger or custom resource: the event is sent only once the stack
 * has completed, and nothing in the deployment waits for it or depends on it, so a transient fault
 * of the sync can never fail or roll back a good deploy. A failed start is retried by EventBridge
 * and by Lambda, then lands in this construct's dead-letter queue (with its own alarm); a started
 * sync that fails raises the job alarm.
 *
 * The queue lives here, next to its rule, so that its policy admits exactly this rule's ARN (the
 * stateful stack cannot know the rule's generated name). It holds only failed start notifications;
 * the remedy is to start a sync (`POST /jobs/sync`), not to replay its messages.
 */
export class AfterDeploySync extends Construct {
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: AfterDeploySyncProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const maxEventAge = Duration.seconds(DEPLOY_SYNC_DELIVERY.maxEventAgeSeconds);

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      receives: 'dead-letter queue of the after-deploy sync',
    });

    props.target.configureAsyncInvoke({
      retryAttempts: DEPLOY_SYNC_DELIVERY.lambdaRetryAttempts,
      maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    // No eventBus: CloudFormation sends stack events to the account's default bus only.
    this.rule = new Rule(this, 'Rule', {
      description: `Start a sync after each completed deploy of ${stack.stackName}`,
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': [stack.stackId],
          'status-details': { status: [...DEPLOY_COMPLETE_STATUSES] },
        },
      },
      targets: [
        new LambdaFunction(props.target, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: DEPLOY_SYNC_DELIVERY.retryAttempts,
          maxEventAge,
        }),
      ],
    });
  }
}
