import { jobView } from '../domain/jobs.js';
import { jobIdPathSchema } from '../domain/schemas.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobStore } from '../shared/deps.js';
import { getJob } from '../use-cases/jobs.js';

const deps = appJobStore();

/** `GET /jobs/{job_id}`: a job's status, progress, totals, first errors and, once finished, its result. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read jobs');
  const { job_id } = parseInput(jobIdPathSchema, event.pathParameters ?? {});
  return json(200, jobView(await getJob(deps, job_id)));
});
