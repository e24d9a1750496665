import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DeployedFunction } from './deployed.js';
import { LambdaFunctionError } from './step-functions.js';

/**
 * What the Lambda runtime does for a Node.js function, in a child process of the machine's own
 * Node.js: the process starts with the function's environment and nothing else (the template's
 * variables and what Lambda sets: region, credentials, the function's name and memory, the code
 * folder, the handler, X-Ray's daemon), loads the handler's module from the code folder with a
 * dynamic `import()` once (the cold start; a module that fails to load fails the environment, as
 * `Runtime.ImportModuleError` does), then takes invocations one at a time, each with a Lambda
 * context that counts down the function's timeout and a fresh `_X_AMZN_TRACE_ID`. The answer
 * travels as JSON; a thrown error is reported as Lambda reports it (`errorType`, `errorMessage`,
 * `trace`). Its output (the function's logs) is kept.
 */
const RUNTIME = `
import { pathToFileURL } from 'node:url';
const [file, exportName, settings] = process.argv.slice(1);
const { functionName, invokedFunctionArn, memory, timeoutSeconds } = JSON.parse(settings);
const describe = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
  trace: String(error?.stack ?? '').split('\\n'),
});
let handler;
try {
  handler = (await import(pathToFileURL(file).href))[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(file + ' exports no function ' + exportName), { name: 'Runtime.HandlerNotFound' });
} catch (error) {
  process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1));
}
if (handler) {
  process.on('message', async ({ id, event, traceId }) => {
    process.env._X_AMZN_TRACE_ID = traceId;
    const deadline = Date.now() + timeoutSeconds * 1000;
    const awsRequestId = id;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn,
      memoryLimitInMB: memory,
      awsRequestId,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done() {}, fail() {}, succeed() {},
    };
    try {
      const result = await handler(event, context);
      process.send({ id, result: JSON.stringify(result ?? null) });
    } catch (error) {
      process.send({ id, error: describe(error) });
    }
  });
  process.send({ type: 'ready' });
}
`;

/**
 * What Lambda sets in every function's environment besides the template's variables: the region
 * and the execution role's credentials (here, values no AWS endpoint would accept), the function's
 * name, version, memory and log group, the runtime, the code folder and the handler, UTC, and the
 * X-Ray daemon's address (tracing is active on every function).
 */
export function lambdaRuntimeVariables(
  fn: DeployedFunction,
  options: { readonly region: string; readonly xrayDaemonAddress: string },
): Record<string, string> {
  const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-access-key',
    AWS_SESSION_TOKEN: 'not-a-real-session-token',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    LAMBDA_TASK_ROOT: fn.codeDirectory,
    _HANDLER: fn.entryPoint,
    AWS_XRAY_DAEMON_ADDRESS: options.xrayDaemonAddress,
    _AWS_XRAY_DAEMON_ADDRESS: options.xrayDaemonAddress.split(':')[0] ?? '',
    _AWS_XRAY_DAEMON_PORT: options.xrayDaemonAddress.split(':')[1] ?? '',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    // The SDK warns about Node.js 20, which runs these bundles here; the functions run on the runtime above.
    ...(Number(process.versions.node.split('.')[0]) < 22
      ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
      : {}),
  };
}

/** One invocation's record: which function, its trace id, and how it ended. */
export interface Invocation {
  readonly functionName: string;
  readonly traceId: string;
  readonly failed: boolean;
}

interface Reply {
  readonly id?: string;
  readonly type?: 'ready' | 'init-error';
  readonly result?: string;
  readonly error?: { errorType: string; errorMessage: string; trace: string[] };
}

/** One function's execution environment: its process, ready for invocations. */
export class LambdaEnvironment {
  /** What the function wrote (its logs), stdout and stderr. */
  readonly output: string[] = [];
  private readonly pending = new Map<string, (reply: Reply) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly fn: DeployedFunction,
    private readonly child: ChildProcess,
    private readonly onInvocation: (invocation: Invocation) => void,
  ) {
    child.on('message', (reply: Reply) => {
      if (reply.id) this.pending.get(reply.id)?.(reply);
    });
    child.on('exit', (code, signal) => {
      for (const settle of this.pending.values())
        settle({ error: { errorType: 'Runtime.ExitError', errorMessage: `exited (${code ?? signal})`, trace: [] } });
      this.pending.clear();
    });
  }

  /**
   * Starts the function's environment and loads its code. `variables` is the function's whole
   * environment apart from what the runtime sets; the returned promise rejects with the module's
   * error (and the process's output) when it cannot be loaded.
   */
  static async start(
    fn: DeployedFunction,
    variables: Readonly<Record<string, string>>,
    options: {
      readonly invokedFunctionArn: string;
      /** The Node.js binary that runs the function; this process's own unless given. */
      readonly node?: string;
      readonly onInvocation?: (invocation: Invocation) => void;
    },
  ): Promise<LambdaEnvironment> {
    const [moduleName, exportName] = splitEntryPoint(fn.entryPoint);
    const file = ['.js', '.mjs', '.cjs']
      .map((extension) => path.join(fn.codeDirectory, `${moduleName}${extension}`))
      .find((candidate) => existsSync(candidate));
    if (!file) throw new Error(`${fn.handler}: no module ${moduleName} in ${fn.codeDirectory}`);
    const child = spawn(
      options.node ?? process.execPath,
      [
        '--input-type=module',
        '-e',
        RUNTIME,
        file,
        exportName,
        JSON.stringify({
          functionName: fn.logicalId,
          invokedFunctionArn: options.invokedFunctionArn,
          memory: String(fn.memoryMb),
          timeoutSeconds: fn.timeoutSeconds,
        }),
      ],
      { cwd: fn.codeDirectory, env: { ...variables }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const environment = new LambdaEnvironment(fn, child, options.onInvocation ?? (() => undefined));
    const keep = (chunk: Buffer) => environment.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.type === 'ready') resolve();
        if (reply.type === 'init-error')
          reject(
            new Error(
              `${fn.handler}: its code did not load: ${reply.error?.errorType}: ${reply.error?.errorMessage}\n${environment.output.join('\n')}`,
            ),
          );
      };
      child.on('message', onMessage);
      child.on('exit', (code) =>
        reject(new Error(`${fn.handler}: exited (${code}) while loading\n${environment.output.join('\n')}`)),
      );
    });
    return environment;
  }

  /**
   * Invokes the function with an event; resolves with what the handler returned (through JSON), or
   * rejects with a {@link LambdaFunctionError} carrying the function's error. One at a time, as
   * one execution environment of Lambda takes them.
   */
  invoke(event: unknown): Promise<unknown> {
    const run = this.queue.then(() => this.send(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(event: unknown): Promise<unknown> {
    const id = randomUUID();
    const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => {
        this.pending.delete(id);
        this.onInvocation({ functionName: this.fn.logicalId, traceId, failed: reply.error !== undefined });
        if (reply.error)
          reject(new LambdaFunctionError(reply.error.errorType, reply.error.errorMessage, reply.error.trace));
        else resolve(JSON.parse(reply.result ?? 'null'));
      });
      this.child.send({ id, event, traceId });
    });
  }

  /** Stops the process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function splitEntryPoint(entryPoint: string): [string, string] {
  const dot = entryPoint.lastIndexOf('.');
  if (dot <= 0) throw new Error(`malformed handler ${entryPoint}`);
  return [entryPoint.slice(0, dot), entryPoint.slice(dot + 1)];
}

/** The X-Ray trace id header of one invocation, as Lambda sets `_X_AMZN_TRACE_ID`: its root. */
export function traceRoot(traceId: string): string {
  return /Root=([^;]+)/.exec(traceId)?.[1] ?? traceId;
}
