import type { Job } from '../../lambdas/domain/jobs.js';
import { failJob, relaunch, RUNNING_LOOKBACK, type JobControlDeps } from '../../lambdas/use-cases/jobs.js';

/**
 * After a restart of the local stack, whose engine runs in its own process: takes up each job that
 * was still running where its checkpoint left it, or, if the registry changed since the job began,
 * marks it failed (a new job is needed). In AWS, Step Functions keeps runs alive across deploys.
 */
export async function recoverInterruptedJobs(
  deps: JobControlDeps,
  context: { now: Date },
): Promise<{ restarted: Job[]; abandoned: Job[] }> {
  const { jobs: recent } = await deps.jobs.list(RUNNING_LOOKBACK);
  const restarted: Job[] = [];
  const abandoned: Job[] = [];
  for (const job of recent.filter((candidate) => candidate.status === 'running')) {
    if (job.registryVersion !== deps.registry.version) {
      abandoned.push(
        await failJob(
          deps,
          job.id,
          'Interrupted by a restart, after which the registry had changed; start a new job.',
          context.now,
        ),
      );
      continue;
    }
    const next = await relaunch(deps, job, context.now);
    if (next) restarted.push(next);
  }
  return { restarted, abandoned };
}
