import { ConflictError } from '../domain/errors.js';
import { stackStatusDetailSchema } from '../domain/event-schemas.js';
import { eventHandler } from '../events/consumer.js';
import { appJobControl } from '../shared/deps.js';
import { appJobLauncher } from '../shared/job-launcher.js';
import { logger } from '../shared/powertools.js';
import { startJob } from '../use-cases/jobs.js';

const deps = appJobControl(appJobLauncher);

/** Detail type of the events CloudFormation sends to the default bus when a stack's status changes. */
export const STACK_STATUS_CHANGE = 'CloudFormation Stack Status Change';

/**
 * Starts a sync once a deploy of the service has completed, so every org gets rows for flags the
 * deploy added. A sync of this registry that is already running is enough. Any other failure is
 * thrown, for EventBridge's retries and then the dead-letter queue.
 */
export const handler = eventHandler(STACK_STATUS_CHANGE, stackStatusDetailSchema, async (event) => {
  const stack = event.detail['stack-id'];
  try {
    const job = await startJob(
      deps,
      'sync',
      { dry_run: false, force: false },
      { actor: `deploy:${stack.split('/')[1] ?? stack}`, now: new Date() },
    );
    logger.info('Sync started after deploy', { job_id: job.id, stack, status: event.detail['status-details'].status });
  } catch (error) {
    if (!(error instanceof ConflictError && error.code === 'job_running')) throw error;
    logger.info('A sync of this registry is already running; none started', { stack, ...error.details });
  }
});
