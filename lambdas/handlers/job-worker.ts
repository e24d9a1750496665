import type { JobCounts } from '../domain/jobs.js';
import { jobTaskSchema } from '../domain/job-schemas.js';
import { appJobDeps } from '../shared/deps.js';
import { appExportSink } from '../shared/export-sink.js';
import { logger } from '../shared/powertools.js';
import { taskHandler } from '../tasks/handler.js';
import { failJob, runJobPage } from '../use-cases/jobs.js';

const deps = appJobDeps({ exports: appExportSink });

/** What the state machine reads back after each step: whether to loop, and progress for people watching. */
export interface JobStepOutput {
  readonly done: boolean;
  readonly status: string;
  readonly orgs_done: number;
  readonly orgs_total: number | null;
  readonly counts: JobCounts;
}

/**
 * The job state machine's worker. `run` does one page of the job and checkpoints it; `fail`
 * records why the engine gave up (after its retries), so the job shows failed and can be resumed.
 */
export const handler = taskHandler(jobTaskSchema, async (task): Promise<JobStepOutput> => {
  const now = new Date();
  const { job, done } =
    task.action === 'run'
      ? await runJobPage(deps, task.job_id, now)
      : { job: await failJob(deps, task.job_id, engineFailure(task.error), now), done: true };
  if (done)
    logger.info('Job finished', {
      job_id: job.id,
      type: job.type,
      status: job.status,
      counts: job.counts,
      failure: job.failure,
    });
  return {
    done,
    status: job.status,
    orgs_done: job.counts.orgs_seen,
    orgs_total: job.orgsTotal ?? null,
    counts: job.counts,
  };
});

function engineFailure(error: { Error?: string; Cause?: string } | undefined): string {
  const cause = error?.Cause ? `: ${error.Cause.slice(0, 500)}` : '';
  return `The job engine gave up on a page after its retries (${error?.Error ?? 'unknown error'})${cause}. Resume the job to continue from its checkpoint.`;
}
