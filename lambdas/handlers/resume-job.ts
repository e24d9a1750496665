import { jobView } from '../domain/jobs.js';
import { jobIdPathSchema } from '../domain/schemas.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobControl } from '../shared/deps.js';
import { appJobLauncher } from '../shared/job-launcher.js';
import { logger } from '../shared/powertools.js';
import { resumeJob } from '../use-cases/jobs.js';

const deps = appJobControl(appJobLauncher);

/** `POST /jobs/{job_id}/resume`: runs a job the engine gave up on again, from its last checkpoint. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'resume jobs');
  const { job_id } = parseInput(jobIdPathSchema, event.pathParameters ?? {});
  const job = await resumeJob(deps, job_id, { actor: caller.id, now: new Date() });
  logger.info('Job resumed', { job_id, by: caller.id, resumes: job.resumes });
  return json(202, jobView(job), { location: `/jobs/${job.id}` });
});
