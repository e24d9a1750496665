import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { JobView } from '../../lambdas/domain/jobs.js';
import { ORGS_PER_PAGE } from '../../lambdas/use-cases/jobs.js';
import { JOB_MACHINE } from '../../lib/service/jobs.js';
import { ensureTable } from '../../lib/local/dynamodb-local.js';
import { JOB_STATES } from '../../lib/stateless/jobs.js';
import { FLAGS } from '../../registry/flags.js';
import { buildRegistry } from '../../registry/index.js';
import { RETIRED } from '../../registry/retired.js';
import { onlyResource, refId, removeSynthOutput } from '../support/cdk.js';
import { deployedFunctions, synthDeployedStage, tableClient, type DeployedFunction } from '../support/deployed.js';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../support/aws-endpoints.js';
import { lambdaContext } from '../support/events.js';
import { answer, startFakeDynamoDb, type FakeDynamoDb } from '../support/fake-dynamodb.js';
import { invoke, type HttpLambda } from '../support/http.js';
import { allOrgItems, seedOrgs } from '../support/jobs.js';
import {
  definitionErrors,
  deployedDefinition,
  functionArn,
  lambdaInvokeIntegration,
  LocalStateMachine,
  stateMachineArn,
  type ExecutionEvent,
  type FinishedExecution,
} from '../support/step-functions.js';
import { requiredEnv } from '../support/table.js';

/*
 * The job state machine as it is deployed: its definition taken from the synthesized template
 * (CloudFormation's `DefinitionString`, its references resolved to ARNs of a test account),
 * validated with asl-validator and run by an Amazon States Language interpreter that is not the
 * project's (aws-local-stepfunctions). Its Lambda tasks invoke the real job worker handler in
 * this process, over DynamoDB Local; jobs are started and resumed by the real start-job and
 * resume-job handlers, whose Step Functions client calls `StartExecution` on an endpoint that runs
 * the definition. DynamoDB faults come from a proxy in front of DynamoDB Local
 * (test/support/fake-dynamodb.ts) that answers 500 InternalServerError while a fault is on.
 *
 * The interpreter follows the States Language as Step Functions does where these tests look:
 * InputPath/Parameters/ResultSelector/ResultPath, Choice rules, Retry (a retrier's count starts
 * again each time a state is entered; `MaxAttempts: 3` is three retries after the first attempt;
 * `States.ALL` matches a task's errors), Catch with its ResultPath merged into the state's raw
 * input, and Fail states ending the execution failed with their Error and Cause.
 *
 * What it does not emulate, and what stands in for it here:
 * - Service integrations: a Task's `Resource` (`arn:aws:states:::lambda:invoke`) is not called; a
 *   local handler per state gets the evaluated `Parameters`. `lambdaInvokeIntegration`
 *   (test/support/step-functions.ts) does what Step Functions' Lambda integration does: the
 *   `Payload` as the event, the answer wrapped as `{ Payload, StatusCode, ... }`, a function error
 *   as `Error` = its type and `Cause` = the runtime's error document. Lambda's own failures
 *   (throttling, `Lambda.ServiceException`, a timed-out sandbox) are not produced.
 * - Retry intervals: Step Functions waits IntervalSeconds × BackoffRate^n (5, 10, 20 s here); the
 *   tests set the interpreter's `retryIntervalOverrides` to 0 ms for speed. The deployed
 *   definition is not changed: the retriers the events report are the template's.
 * - Task timeouts (`TimeoutSeconds`: a timer in the interpreter) and the worker's own timeout are
 *   not reached; the worker runs with the template's timeout in its Lambda context.
 * - CloudWatch metrics, alarms, execution logs and X-Ray: none. The job alarm counts the state
 *   machine's failed, timed-out and aborted executions (lib/stateless/alarms.ts); the tests assert
 *   the execution's FAILED status, and that the alarm in the template counts exactly that metric
 *   of this state machine.
 * - Service limits: the 256 KiB limit on state data is not enforced by the interpreter; the tests
 *   check that every state's input and output stays far below it.
 * - The page size is the worker's (ORGS_PER_PAGE, 100, in lambdas/use-cases/jobs.ts), not the
 *   definition's: the tests provision more orgs than a page holds.
 */

/** The registry before its newest flag: the orgs seeded with it lack that flag's row until a sync. */
const previous = buildRegistry(FLAGS.slice(0, -1), RETIRED);
const newestFlag = FLAGS.at(-1)!;
/** A job over a few hundred orgs takes seconds here, much longer on a loaded machine. */
const JOB_TEST_TIMEOUT_MS = 180_000;

let definition: StateMachineDefinition;
let machineId: string;
let machine: LocalStateMachine;
let worker: DeployedFunction;
/** The metrics of the template's alarm over the job state machine: each metric's name and the machine it is of. */
let jobAlarmMetrics: { name: string; stateMachine: string | undefined }[];
let endpoint: AwsJsonEndpoint;
/** DynamoDB Local, which the test reads and seeds directly; the handlers reach it through {@link dynamodb}. */
let dynamoDbLocal: string;
let dynamodb: FakeDynamoDb;
let client: DynamoDBDocumentClient;
let tableName: string;
let startJobHandler: HttpLambda;
let resumeJobHandler: HttpLambda;
let getJobHandler: HttpLambda;

/** Whether DynamoDB answers every request with a 500 while the worker runs this task; `runs` counts earlier `run` tasks. */
let faultDuring: (task: { action: string }, runs: number) => boolean = () => false;
let fault = false;
/** The worker's invocations since the last {@link resetInvocations}: its task, and whether DynamoDB was failing. */
let invocations: { action: string; fault: boolean }[] = [];
const resetInvocations = () => {
  invocations = [];
};
/** DynamoDB Local's answer, through the proxy, or a 500 while a fault is on. */
const faultOrForward = () =>
  fault ? answer.error('InternalServerError', 'Internal server error', 500) : answer.forward(dynamoDbLocal);

beforeAll(async () => {
  const stage = synthDeployedStage('dev', { bundling: false });
  [machineId] = onlyResource(stage.stateless, 'AWS::StepFunctions::StateMachine');
  const functions = deployedFunctions(stage);
  worker = functions[JOB_MACHINE.worker];
  const functionIds = new Set(Object.values(functions).map((fn) => fn.logicalId));
  definition = deployedDefinition(stage.stateless, machineId, (id, attribute) => {
    if (functionIds.has(id) && attribute === 'Arn') return functionArn(id);
    throw new Error(`the definition refers to ${id}${attribute ? `.${attribute}` : ''}, which the test does not bind`);
  });
  jobAlarmMetrics = stateMachineAlarmMetrics(stage.stateless.toJSON().Resources);

  tableName = `deployed-jobs-${randomUUID()}`;
  dynamoDbLocal = requiredEnv('DYNAMODB_ENDPOINT');
  await ensureTable(dynamoDbLocal, tableName);
  dynamodb = await startFakeDynamoDb(faultOrForward);
  endpoint = await startAwsJsonEndpoint({
    'AWSStepFunctions.StartExecution': (body) => machine.startExecution(body),
  });

  // The handlers read their configuration once, on first use: it is set before they are loaded.
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamodb.endpoint,
    JOB_STATE_MACHINE_ARN: stateMachineArn(machineId),
    STEP_FUNCTIONS_ENDPOINT: endpoint.endpoint,
  });
  client = tableClient(dynamoDbLocal);
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const load = async <T>(name: string) =>
    ((await import(`../../lambdas/handlers/${name}.js`)) as { handler: T }).handler;
  startJobHandler = await load<HttpLambda>('start-job');
  resumeJobHandler = await load<HttpLambda>('resume-job');
  getJobHandler = await load<HttpLambda>('get-job');
  const jobWorker = await load<(event: unknown, context: Context) => Promise<unknown>>(JOB_MACHINE.worker);

  const invokeWorker = async (event: unknown) => {
    const task = event as { action: string };
    fault = faultDuring(task, invocations.filter((i) => i.action === 'run').length);
    invocations.push({ action: task.action, fault });
    try {
      return await jobWorker(event, invocationContext(worker));
    } finally {
      fault = false;
    }
  };
  const integration = lambdaInvokeIntegration(new Map([[functionArn(worker.logicalId), invokeWorker]]));
  const tasks = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
  machine = new LocalStateMachine(stateMachineArn(machineId), definition, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(tasks.map((name) => [name, integration])),
      retryIntervalOverrides: Object.fromEntries(tasks.map((name) => [name, 0])),
    },
  });
}, 180_000);

afterEach(() => {
  faultDuring = () => false;
});

afterAll(async () => {
  removeSynthOutput();
  await endpoint?.close();
  await dynamodb?.close();
  client?.destroy();
});

/** A Lambda context that counts down the function's timeout from the template, as Lambda's does. */
function invocationContext(fn: DeployedFunction): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return { ...lambdaContext(fn.logicalId), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/** The metrics of the one alarm over Step Functions' metrics, with the state machine each is of. */
function stateMachineAlarmMetrics(resources: Record<string, { Type: string; Properties: Record<string, unknown> }>) {
  type Metric = {
    MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
  };
  const alarms = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map((alarm) => (alarm.Properties.Metrics ?? []) as Metric[])
    .filter((metrics) => metrics.some((metric) => metric.MetricStat?.Metric.Namespace === 'AWS/States'));
  if (alarms.length !== 1) throw new Error(`expected one alarm over Step Functions metrics, found ${alarms.length}`);
  return alarms[0]!.flatMap((metric) =>
    metric.MetricStat
      ? [
          {
            name: metric.MetricStat.Metric.MetricName,
            stateMachine: refId(
              metric.MetricStat.Metric.Dimensions.find((dimension) => dimension.Name === 'StateMachineArn')?.Value,
            ),
          },
        ]
      : [],
  );
}

/** Starts a sync as an admin does (POST /jobs/sync), then waits for the execution its StartExecution began. */
async function runSync(): Promise<{ job: JobView; execution: FinishedExecution }> {
  const started = await invoke<JobView>(startJobHandler, {
    method: 'POST',
    path: '/jobs/{type}',
    pathParameters: { type: 'sync' },
  });
  expect(started.status).toBe(202);
  const execution = await machine.execution(started.body.job_id).finished;
  return { job: await jobOf(started.body.job_id), execution };
}

async function jobOf(jobId: string): Promise<JobView> {
  const answer = await invoke<JobView>(getJobHandler, {
    method: 'GET',
    path: '/jobs/{job_id}',
    pathParameters: { job_id: jobId },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** The states an execution went through, in order, with what happened in each (entered, failed, retried, caught). */
const trail = (events: readonly ExecutionEvent[]) =>
  events.flatMap((event) => {
    switch (event.type) {
      case 'StateEntered':
        return [event.state.name];
      case 'StateFailed':
        return [`${event.state.name} failed: ${event.Error}`];
      case 'StateRetried':
        return [`${event.state.name} retry ${event.retry.attempt}`];
      case 'StateCaught':
        return [`${event.state.name} caught`];
      default:
        return [];
    }
  });

/** The largest input or output of any state, in bytes of JSON. */
const largestStateData = (events: readonly ExecutionEvent[]) =>
  Math.max(
    ...events.flatMap((event) =>
      'state' in event
        ? [event.state.input, 'output' in event.state ? event.state.output : null].map((data) =>
            Buffer.byteLength(JSON.stringify(data ?? null)),
          )
        : [],
    ),
  );

/** Each org's row of the newest flag, from DynamoDB Local. */
async function newestFlagRows(orgIds: readonly string[]) {
  const items = await allOrgItems(client, tableName, orgIds);
  return items.filter((item) => item.sk === `FLAG#${newestFlag.key}`);
}

/**
 * The steps a job takes over this many orgs: one per page of the `orgs` index. DynamoDB answers a
 * full page with a position to go on from, so a multiple of the page size takes one more, empty, step.
 */
const steps = (orgs: number) => Math.floor(orgs / ORGS_PER_PAGE) + 1;
let orgsSoFar = 0;
async function seed(count: number, prefix: string): Promise<string[]> {
  const orgIds = await seedOrgs(client, tableName, previous, count, prefix);
  orgsSoFar += count;
  return orgIds;
}

describe('the job state machine as deployed', () => {
  test('its definition, taken from the synthesized template, is valid States Language, and the validator refuses a broken one', () => {
    expect(definitionErrors(definition)).toEqual([]);

    const broken = structuredClone(definition);
    const check = broken.States[JOB_STATES.check] as { Default?: string };
    check.Default = 'NoSuchState';
    expect(definitionErrors(broken)).toContainEqual(expect.stringMatching(/^MISSING_TRANSITION_TARGET: .*NoSuchState/));

    // The tasks are what the binding emulates: Step Functions' Lambda integration invoking the worker.
    const tasks = Object.values(definition.States).filter((state) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks)
      expect(task).toMatchObject({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: functionArn(worker.logicalId) },
      });
  });

  test(
    'a sync over several pages of orgs, started by the start-job handler, ends in the succeeded state with every org given its missing row',
    async () => {
      const orgIds = await seed(ORGS_PER_PAGE * 2 + 10, 'a');
      resetInvocations();

      const { job, execution } = await runSync();

      expect(endpoint.requests.at(-1)).toEqual({
        target: 'AWSStepFunctions.StartExecution',
        body: {
          stateMachineArn: stateMachineArn(machineId),
          name: job.job_id,
          input: JSON.stringify({ job_id: job.job_id }),
        },
      });
      expect(execution.status).toBe('SUCCEEDED');
      const runs = steps(orgIds.length);
      expect(trail(execution.events)).toEqual([
        ...Array.from({ length: runs }, () => [JOB_STATES.step, JOB_STATES.check]).flat(),
        JOB_STATES.succeeded,
      ]);
      expect(invocations).toEqual(Array.from({ length: runs }, () => ({ action: 'run', fault: false })));
      expect(job).toMatchObject({
        status: 'succeeded',
        progress: { orgs_total: orgIds.length, orgs_done: orgIds.length, pages_done: runs, percent: 100 },
        counts: { orgs_seen: orgIds.length, orgs_changed: orgIds.length, orgs_failed: 0, rows_written: orgIds.length },
        failure: null,
      });
      const rows = await newestFlagRows(orgIds);
      expect(rows.map((row) => row.org_id)).toEqual(orgIds);
      for (const row of rows)
        expect(row).toMatchObject({
          enabled: newestFlag.default_enabled,
          source: 'synced',
          updated_by: `job:${job.job_id}`,
        });
      expect(largestStateData(execution.events)).toBeLessThan(4 * 1024);
    },
    JOB_TEST_TIMEOUT_MS,
  );

  test(
    "a step that fails is retried by the definition's Retry, and the run then succeeds, counting nothing twice",
    async () => {
      const orgIds = await seed(30, 'b');
      resetInvocations();
      // DynamoDB fails throughout the second page's first attempt.
      faultDuring = (task, runs) => task.action === 'run' && runs === 1;

      const { job, execution } = await runSync();

      expect(execution.status).toBe('SUCCEEDED');
      const runs = steps(orgsSoFar);
      const trailOf = trail(execution.events);
      expect(trailOf.slice(0, 6)).toEqual([
        JOB_STATES.step,
        JOB_STATES.check,
        JOB_STATES.step,
        `${JOB_STATES.step} failed: DependencyUnavailableError`,
        `${JOB_STATES.step} retry 1`,
        JOB_STATES.check,
      ]);
      expect(trailOf.filter((entry) => entry === JOB_STATES.step)).toHaveLength(runs);
      expect(trailOf.at(-1)).toBe(JOB_STATES.succeeded);
      const retried = execution.events.find((event) => event.type === 'StateRetried');
      expect(retried?.type === 'StateRetried' && retried.retry.retrier).toEqual({
        ErrorEquals: ['States.ALL'],
        IntervalSeconds: JOB_MACHINE.retry.intervalSeconds,
        MaxAttempts: JOB_MACHINE.retry.maxAttempts,
        BackoffRate: JOB_MACHINE.retry.backoffRate,
      });
      expect(invocations.filter((i) => i.fault)).toEqual([{ action: 'run', fault: true }]);
      expect(invocations).toHaveLength(runs + 1);
      expect(job).toMatchObject({
        status: 'succeeded',
        progress: { orgs_done: orgsSoFar, pages_done: runs },
        counts: {
          orgs_seen: orgsSoFar,
          orgs_changed: orgIds.length,
          orgs_skipped: orgsSoFar - orgIds.length,
          rows_written: orgIds.length,
          orgs_failed: 0,
        },
      });
      expect((await newestFlagRows(orgIds)).map((row) => row.org_id)).toEqual(orgIds);
    },
    JOB_TEST_TIMEOUT_MS,
  );

  test(
    'a step that keeps failing is caught after its retries: the job is marked failed with its error, the run ends failed as the job alarm counts, and resuming continues from the checkpoint',
    async () => {
      const orgIds = await seed(30, 'c');
      resetInvocations();
      // DynamoDB fails during every page after the first, until the run gives up; recording the failure works.
      faultDuring = (task, runs) => task.action === 'run' && runs >= 1;

      const { job, execution } = await runSync();

      expect(execution).toMatchObject({
        status: 'FAILED',
        error: 'JobStepFailed',
        cause: (definition.States[JOB_STATES.gaveUp] as { Cause?: string }).Cause,
      });
      const retries = JOB_MACHINE.retry.maxAttempts;
      expect(trail(execution.events)).toEqual([
        JOB_STATES.step,
        JOB_STATES.check,
        JOB_STATES.step,
        ...Array.from({ length: retries }, (_, i) => [
          `${JOB_STATES.step} failed: DependencyUnavailableError`,
          `${JOB_STATES.step} retry ${i + 1}`,
        ]).flat(),
        `${JOB_STATES.step} failed: DependencyUnavailableError`,
        `${JOB_STATES.step} caught`,
        JOB_STATES.recordFailure,
        JOB_STATES.gaveUp,
        `${JOB_STATES.gaveUp} failed: JobStepFailed`,
      ]);
      expect(invocations).toEqual([
        { action: 'run', fault: false },
        ...Array.from({ length: retries + 1 }, () => ({ action: 'run', fault: true })),
        { action: 'fail', fault: false },
      ]);
      // The Catch put the error beside the job id, and RecordFailure passed both to the worker.
      const recording = execution.events.find(
        (event) => event.type === 'StateEntered' && event.state.name === JOB_STATES.recordFailure,
      );
      const recorded = (recording?.type === 'StateEntered' ? recording.state.input : null) as {
        job_id: string;
        error: { Error: string; Cause: string };
      };
      expect(recorded.job_id).toBe(job.job_id);
      expect(recorded.error.Error).toBe('DependencyUnavailableError');
      expect(JSON.parse(recorded.error.Cause)).toMatchObject({
        errorType: 'DependencyUnavailableError',
        errorMessage: 'The flag store is unavailable; retry shortly.',
      });

      expect(job).toMatchObject({ status: 'failed', progress: { pages_done: 1 } });
      expect(job.failure).toContain('(DependencyUnavailableError)');
      expect(job.failure).toContain('The flag store is unavailable; retry shortly.');
      expect(job.failure).toMatch(/Resume the job/);
      // What the job alarm counts: failed (and timed-out, aborted) executions of this state machine.
      expect(jobAlarmMetrics).toContainEqual({ name: 'ExecutionsFailed', stateMachine: machineId });
      expect(new Set(jobAlarmMetrics.map((metric) => metric.stateMachine))).toEqual(new Set([machineId]));
      expect((await newestFlagRows(orgIds)).filter((row) => row.updated_by === `job:${job.job_id}`)).toEqual([]);

      // The cause is gone: an admin resumes the job, and a new run continues from the checkpoint.
      faultDuring = () => false;
      resetInvocations();
      const resumed = await invoke<JobView>(resumeJobHandler, {
        method: 'POST',
        path: '/jobs/{job_id}/resume',
        pathParameters: { job_id: job.job_id },
      });
      expect(resumed.status).toBe(202);
      const rerun = await machine.execution(`${job.job_id}-r1`).finished;

      expect(rerun.status).toBe('SUCCEEDED');
      const runs = steps(orgsSoFar);
      expect(invocations).toHaveLength(runs - 1);
      expect(await jobOf(job.job_id)).toMatchObject({
        status: 'succeeded',
        resumes: 1,
        failure: null,
        progress: { orgs_done: orgsSoFar, pages_done: runs },
        counts: { orgs_seen: orgsSoFar, orgs_changed: orgIds.length, rows_written: orgIds.length, orgs_failed: 0 },
      });
      expect((await newestFlagRows(orgIds)).map((row) => row.org_id)).toEqual(orgIds);
    },
    JOB_TEST_TIMEOUT_MS,
  );

  test(
    'a job that went through every org with an org failed ends in the OrgsFailed state, also counted by the job alarm',
    async () => {
      const orgIds = await seed(3, 'd');
      const refused = orgIds[1]!;
      resetInvocations();
      // DynamoDB refuses the writes of one org's rows (an error of that org, not an outage).
      dynamodb.respond((call) =>
        call.operation === 'PutItem' && JSON.stringify(call.body.Item).includes(`"ORG#${refused}"`)
          ? answer.error('ValidationException', 'One or more parameter values were invalid')
          : faultOrForward(),
      );
      try {
        const { job, execution } = await runSync();

        expect(execution).toMatchObject({ status: 'FAILED', error: 'OrgsFailed' });
        expect(trail(execution.events).slice(-2)).toEqual([
          JOB_STATES.orgsFailed,
          `${JOB_STATES.orgsFailed} failed: OrgsFailed`,
        ]);
        expect(trail(execution.events).filter((entry) => entry.startsWith(`${JOB_STATES.step} `))).toEqual([]);
        expect(job).toMatchObject({
          status: 'failed',
          counts: { orgs_changed: orgIds.length - 1, orgs_failed: 1 },
          errors: [expect.objectContaining({ org_id: refused })],
        });
        expect((await newestFlagRows(orgIds)).map((row) => row.org_id)).toEqual(orgIds.filter((id) => id !== refused));
      } finally {
        dynamodb.respond(faultOrForward);
      }
    },
    JOB_TEST_TIMEOUT_MS,
  );
});
