import { jobView } from '../domain/jobs.js';
import { jobPositionSchema, listJobsQuerySchema } from '../domain/query-schemas.js';
import { queryCursor } from '../http/cursor.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobStore } from '../shared/deps.js';
import { listJobs } from '../use-cases/jobs.js';

const deps = appJobStore();
const cursors = queryCursor('jobs', jobPositionSchema);

/** `GET /jobs?limit=&cursor=`: jobs, newest first, a page at a time. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read jobs');
  const { limit, cursor } = parseInput(listJobsQuerySchema, event.queryStringParameters ?? {});
  const page = await listJobs(deps, limit, cursors.read(cursor)?.after);
  return json(200, {
    jobs: page.jobs.map(jobView),
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
