import type { JobStepOutput } from '../../lambdas/handlers/job-worker.js';
import type { JobTask } from '../../lambdas/domain/job-schemas.js';
import type { JobMachineDeclaration } from '../service/jobs.js';
import { lambdaContext } from './http-api.js';

/** The loaded worker handler, as the engine invokes it. */
export type JobWorker = (task: JobTask, context: ReturnType<typeof lambdaContext>) => Promise<JobStepOutput>;

/** Result of a StartExecution call: the response body, or an error for a 400. */
export type StartExecutionResult =
  | { readonly ok: true; readonly response: { executionArn: string; startDate: number } }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface LocalJobEngineOptions {
  readonly stateMachineArn: string;
  readonly machine: JobMachineDeclaration;
  readonly worker: JobWorker;
  /** Delay before the first retry of a failed step; doubled each time. AWS waits longer; locally, fast feedback wins. */
  readonly retryBaseDelayMs?: number;
  /** Shortest time between two progress lines of one run. */
  readonly progressIntervalMs?: number;
  readonly log?: (line: string) => void;
}

const number = new Intl.NumberFormat('en-US');

/**
 * A local stand-in for the job state machine: `StartExecution` starts a run in this process that
 * does what the deployed machine does. It invokes the worker for one page at a time until it
 * reports done, retries a failed step as declared, and when the retries are spent invokes the
 * worker (with the same retries) to record the failure. Progress goes to the log.
 */
export class LocalJobEngine {
  private readonly runs = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(private readonly options: LocalJobEngineOptions) {}

  startExecution(body: unknown): StartExecutionResult {
    const request = body as { stateMachineArn?: unknown; name?: unknown; input?: unknown } | null;
    if (request?.stateMachineArn !== this.options.stateMachineArn) {
      return {
        ok: false,
        code: 'StateMachineDoesNotExist',
        message: `State Machine Does Not Exist: '${String(request?.stateMachineArn)}'`,
      };
    }
    if (typeof request.name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(request.name)) {
      return { ok: false, code: 'InvalidName', message: `Invalid Name: '${String(request.name)}'` };
    }
    let jobId: unknown;
    try {
      jobId = (JSON.parse(String(request.input)) as { job_id?: unknown }).job_id;
    } catch {
      return { ok: false, code: 'InvalidExecutionInput', message: 'The input is not JSON.' };
    }
    if (typeof jobId !== 'string')
      return { ok: false, code: 'InvalidExecutionInput', message: 'The input has no job_id.' };
    const executionArn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name}`;
    if (this.runs.has(executionArn))
      return { ok: false, code: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${executionArn}'` };
    if (this.stopping) return { ok: false, code: 'ServiceUnavailable', message: 'The local job engine is stopping.' };
    const run = this.run(jobId, request.name).finally(() => this.runs.delete(executionArn));
    this.runs.set(executionArn, run);
    return { ok: true, response: { executionArn, startDate: Date.now() / 1000 } };
  }

  /** Resolves once every run under way has ended. */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs.values()]);
  }

  /** Lets each run finish the page it is on and stop there; the jobs stay running, to be taken up again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private async run(jobId: string, name: string): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    let lastLine = 0;
    let first: { at: number; orgs: number } | undefined;
    try {
      for (;;) {
        if (this.stopping) {
          log(`[jobs] ${jobId}: stopped at its last checkpoint; it continues at the next start`);
          return;
        }
        const step = await this.step({ action: 'run', job_id: jobId });
        const now = Date.now();
        first ??= { at: now, orgs: step.orgs_done };
        const rate = now > first.at ? (step.orgs_done - first.orgs) / ((now - first.at) / 1000) : undefined;
        if (step.done || now - lastLine >= (this.options.progressIntervalMs ?? 1000)) {
          lastLine = now;
          log(progressLine(jobId, step, rate));
        }
        if (step.done) return;
      }
    } catch (error) {
      const failure = {
        Error: error instanceof Error ? error.name : 'Error',
        Cause: error instanceof Error ? error.message : String(error),
      };
      log(
        `[jobs] ${jobId} (${name}): a step failed after ${this.options.machine.retry.maxAttempts} retries: ${failure.Cause}`,
      );
      await this.step({ action: 'fail', job_id: jobId, error: failure }).catch((cause: unknown) =>
        log(`[jobs] ${jobId}: could not record the failure: ${cause instanceof Error ? cause.message : String(cause)}`),
      );
    }
  }

  private async step(task: JobTask): Promise<JobStepOutput> {
    const { maxAttempts, backoffRate } = this.options.machine.retry;
    const baseDelay = this.options.retryBaseDelayMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.invoke(task);
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, baseDelay * backoffRate ** attempt));
      }
    }
  }

  private invoke(task: JobTask): Promise<JobStepOutput> {
    return this.options.worker(
      task,
      lambdaContext(this.options.machine.worker, this.options.machine.stepTimeoutSeconds * 1000),
    );
  }
}

function progressLine(jobId: string, step: JobStepOutput, orgsPerSecond: number | undefined): string {
  const total = step.orgs_total;
  const share = total ? ` (${Math.min(100, Math.floor((step.orgs_done / Math.max(total, 1)) * 100))}%)` : '';
  const rate = orgsPerSecond === undefined ? '' : `, ${number.format(Math.round(orgsPerSecond))} orgs/s`;
  const counts = Object.entries(step.counts)
    .filter(([name, value]) => value > 0 && name !== 'orgs_seen')
    .map(([name, value]) => `${name.replace(/_/g, ' ')} ${number.format(value)}`)
    .join(', ');
  const done = `${number.format(step.orgs_done)}/${total === null ? '?' : number.format(total)} orgs${share}${rate}`;
  return `[jobs] ${jobId}: ${step.done ? `${step.status}, ` : ''}${done}${counts ? `; ${counts}` : ''}`;
}
