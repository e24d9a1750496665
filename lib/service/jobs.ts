import type { HandlerName } from './handlers.js';

/** The engine that runs jobs over all orgs, declared once for the CDK state machine and the local engine. */
export interface JobMachineDeclaration {
  /** The function that does one page per step, and records the failure when the engine gives up. */
  readonly worker: HandlerName;
  /** Retries of a failed step before the run gives up and the job is marked failed. */
  readonly retry: { readonly maxAttempts: number; readonly intervalSeconds: number; readonly backoffRate: number };
  /** Longest one step may run before it counts as failed (the worker's own timeout is shorter). */
  readonly stepTimeoutSeconds: number;
}

export const JOB_MACHINE: JobMachineDeclaration = {
  worker: 'job-worker',
  retry: { maxAttempts: 3, intervalSeconds: 5, backoffRate: 2 },
  stepTimeoutSeconds: 360,
};

/** The name the local engine gives its state machine, in ARN form so clients treat it as AWS's. */
export const LOCAL_JOB_STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:org-feature-flags-jobs';
