import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { JobLauncher } from '../domain/job-store.js';
import { tracer } from '../shared/powertools.js';

/** The input every run of the job state machine gets: the job to work on. */
export interface JobRunInput {
  readonly job_id: string;
}

/**
 * Starts runs of the job state machine. `endpoint` points the client at the local stack's
 * engine; in AWS it is unset and the SDK's defaults apply.
 */
export class StepFunctionsLauncher implements JobLauncher {
  private readonly client: SFNClient;

  constructor(
    private readonly stateMachineArn: string,
    endpoint?: string,
  ) {
    this.client = tracer.captureAWSv3Client(new SFNClient({ maxAttempts: 3, ...(endpoint ? { endpoint } : {}) }));
  }

  async start(jobId: string, runName: string): Promise<void> {
    const input: JobRunInput = { job_id: jobId };
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: runName,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // A retried start of the same run: it is running already.
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}
