import { jobOptionsSchemas, jobTypePathSchema } from '../domain/job-schemas.js';
import { jobView } from '../domain/jobs.js';
import { adminOf, optionalJsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobControl } from '../shared/deps.js';
import { appJobLauncher } from '../shared/job-launcher.js';
import { logger } from '../shared/powertools.js';
import { startJob } from '../use-cases/jobs.js';

const deps = appJobControl(appJobLauncher);

/** `POST /jobs/{type}`: an admin starts a job over all orgs; 202 with the job, whose progress `GET /jobs/{job_id}` shows. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'start jobs');
  const { type } = parseInput(jobTypePathSchema, event.pathParameters ?? {});
  const options = parseInput(jobOptionsSchemas[type], optionalJsonBody(event));
  const job = await startJob(deps, type, options, { actor: caller.id, now: new Date() });
  logger.info('Job started', { job_id: job.id, type, options, by: caller.id });
  return json(202, jobView(job), { location: `/jobs/${job.id}` });
});
