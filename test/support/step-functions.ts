import { randomUUID } from 'node:crypto';
import type { Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsServiceError } from './aws-endpoints.js';

// aws-local-stepfunctions 3 declares Node.js >= 22 and calls Promise.withResolvers (ES2024, in
// Node.js 22); on the Node.js 20 these tests also run on, it is supplied here.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** JSON data, as the interpreter passes it between states. */
export type Json = Parameters<StateMachine['run']>[0];
/** One event of an execution's history, as the interpreter reports it. */
export type ExecutionEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The account, region and partition the tests deploy to, for the references a template makes to them. */
export const TEST_ACCOUNT = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' } as const;

/** The ARN a function would have in {@link TEST_ACCOUNT}, named after its logical id. */
export function functionArn(logicalId: string): string {
  return `arn:${TEST_ACCOUNT.partition}:lambda:${TEST_ACCOUNT.region}:${TEST_ACCOUNT.accountId}:function:${logicalId}`;
}

/** The ARN a state machine would have in {@link TEST_ACCOUNT}, named after its logical id. */
export function stateMachineArn(logicalId: string): string {
  return `arn:${TEST_ACCOUNT.partition}:states:${TEST_ACCOUNT.region}:${TEST_ACCOUNT.accountId}:stateMachine:${logicalId}`;
}

/**
 * The definition of a state machine of the template as CloudFormation would deploy it: its
 * `DefinitionString` (a string, or the CDK's `Fn::Join` of JSON text and references) with the
 * pseudo parameters resolved for {@link TEST_ACCOUNT} and every other `Ref` or `Fn::GetAtt`
 * replaced by what `resolve(logicalId, attribute)` gives (the attribute is undefined for a `Ref`).
 */
export function deployedDefinition(
  template: Template,
  machineId: string,
  resolve: (logicalId: string, attribute: string | undefined) => string,
): StateMachineDefinition {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const machine = resources[machineId];
  if (machine?.Type !== 'AWS::StepFunctions::StateMachine') throw new Error(`no state machine ${machineId}`);
  const definition = machine.Properties.DefinitionString;
  if (typeof definition === 'string') return JSON.parse(definition) as StateMachineDefinition;
  const join = (definition as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`the DefinitionString of ${machineId} is neither a string nor a Fn::Join`);
  const pseudo: Record<string, string> = {
    'AWS::Partition': TEST_ACCOUNT.partition,
    'AWS::Region': TEST_ACCOUNT.region,
    'AWS::AccountId': TEST_ACCOUNT.accountId,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: unknown }).Ref;
      if (typeof ref === 'string') return pseudo[ref] ?? resolve(ref, undefined);
      const getAtt = (part as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string')
        return resolve(getAtt[0], getAtt[1]);
      throw new Error(`unexpected part ${JSON.stringify(part)} in the definition of ${machineId}`);
    })
    .join(join[0]);
  return JSON.parse(text) as StateMachineDefinition;
}

/** What asl-validator finds wrong with a definition (JSONPath and ARNs checked too); empty when it is valid. */
export function definitionErrors(definition: unknown): string[] {
  // The validator writes `QueryLanguage` into the states it is given: it gets a copy.
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errors.map((error) => `${error['Error code']}: ${error.Message}`);
}

/** A Lambda function as Step Functions invokes it: the event in, the handler's result out (or its error thrown). */
export type LambdaFunction = (event: unknown) => Promise<unknown>;

/** A function error as the Lambda runtime reports it: the error's name as `errorType`, its message, its stack. */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[] = [],
  ) {
    super(`${errorType}: ${errorMessage}`);
    this.name = 'LambdaFunctionError';
  }
}

/**
 * A task handler for aws-local-stepfunctions that does what Step Functions' optimized Lambda
 * integration (`arn:aws:states:::lambda:invoke`) does. The interpreter hands a local handler the
 * task's evaluated `Parameters` and takes what it returns as the task's result; this invokes the
 * function `Parameters.FunctionName` names with `Parameters.Payload` as its event (through JSON,
 * as Lambda does), and answers as the integration does: `{ ExecutedVersion, Payload, StatusCode,
 * SdkHttpMetadata, SdkResponseMetadata }`. A function error fails the task with the error's type
 * as `Error` and the runtime's error document (`errorType`, `errorMessage`, `trace`) as `Cause`;
 * a function the map does not hold fails it with `Lambda.ResourceNotFoundException`.
 */
export function lambdaInvokeIntegration(
  functions: ReadonlyMap<string, LambdaFunction>,
): (input: Json) => Promise<Json> {
  return async (input) => {
    const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    const fn = typeof FunctionName === 'string' ? functions.get(FunctionName) : undefined;
    if (!fn) throw taskError('Lambda.ResourceNotFoundException', `Function not found: ${String(FunctionName)}`);
    let result: unknown;
    try {
      result = await fn(JSON.parse(JSON.stringify(Payload ?? {})));
    } catch (error) {
      const reported =
        error instanceof LambdaFunctionError
          ? error
          : new LambdaFunctionError(
              error instanceof Error ? error.name : 'Error',
              error instanceof Error ? error.message : String(error),
              error instanceof Error ? (error.stack ?? '').split('\n') : [],
            );
      const { errorType, errorMessage, trace } = reported;
      throw taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
    }
    const requestId = randomUUID();
    return {
      ExecutedVersion: '$LATEST',
      Payload: JSON.parse(JSON.stringify(result ?? null)) as Json,
      SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
  };
}

/** An error the interpreter reports as a state's `Error` (its name) and `Cause` (its message). */
function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** How an execution ended, with its whole history. */
export interface FinishedExecution {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: Json;
  /** The `Error` and `Cause` of a failed execution. */
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly ExecutionEvent[];
}

/** One execution started through {@link LocalStateMachine.startExecution}. */
export interface Execution {
  readonly name: string;
  readonly executionArn: string;
  readonly input: Json;
  readonly startDate: number;
  /** Settles when the execution has ended. */
  readonly finished: Promise<FinishedExecution>;
  /** True until {@link finished} settles. */
  readonly running: () => boolean;
}

/**
 * A state machine run by aws-local-stepfunctions behind Step Functions' `StartExecution`, for an
 * endpoint the real Step Functions client calls (see test/support/aws-endpoints.ts). As the service
 * does for a standard state machine, it refuses another state machine's ARN
 * (`StateMachineDoesNotExist`), a bad name (`InvalidName`) and input that is not JSON
 * (`InvalidExecutionInput`); a name already used is `ExecutionAlreadyExists`, unless that execution
 * is still running with the same input, in which case the same answer is given again.
 */
export class LocalStateMachine {
  readonly executions = new Map<string, Execution>();
  private readonly machine: StateMachine;

  constructor(
    readonly stateMachineArn: string,
    definition: StateMachineDefinition,
    private readonly runOptions: RunOptions,
  ) {
    this.machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  }

  /** The operation `AWSStepFunctions.StartExecution`. */
  startExecution = (request: Record<string, unknown>): { executionArn: string; startDate: number } => {
    if (request.stateMachineArn !== this.stateMachineArn)
      throw new AwsServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(request.stateMachineArn)}'`,
      );
    const name = typeof request.name === 'string' ? request.name : randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = typeof request.input === 'string' ? request.input : '{}';
    let input: Json;
    try {
      input = JSON.parse(inputText) as Json;
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid execution input: not JSON');
    }
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.running() && JSON.stringify(existing.input) === JSON.stringify(input))
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const execution = this.run(name, input);
    this.executions.set(name, execution);
    return { executionArn: execution.executionArn, startDate: execution.startDate };
  };

  /** The execution of that name; throws when there is none. */
  execution(name: string): Execution {
    const found = this.executions.get(name);
    if (!found) throw new Error(`no execution named ${name}; started: ${[...this.executions.keys()].join(', ')}`);
    return found;
  }

  private run(name: string, input: Json): Execution {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startDate = Date.now() / 1000;
    const run = this.machine.run(input, {
      ...this.runOptions,
      context: { Execution: { Id: executionArn, Name: name }, StateMachine: { Id: this.stateMachineArn } },
    });
    const events: ExecutionEvent[] = [];
    const history = (async () => {
      for await (const event of run.eventLogs) events.push(event);
    })();
    let running = true;
    const finished = run.result
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => history)
      .then((): FinishedExecution => {
        running = false;
        const last = events.at(-1);
        switch (last?.type) {
          case 'ExecutionSucceeded':
            return { status: 'SUCCEEDED', output: last.output, events };
          case 'ExecutionFailed':
            return { status: 'FAILED', error: last.Error, cause: String(last.Cause), events };
          case 'ExecutionTimeout':
            return { status: 'TIMED_OUT', events };
          case 'ExecutionAborted':
            return { status: 'ABORTED', events };
          default:
            throw new Error(`the execution ${name} ended without a final event (last: ${last?.type})`);
        }
      });
    return { name, executionArn, input, startDate, finished, running: () => running };
  }
}
