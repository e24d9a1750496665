import { jobCursorSchema } from '../adapters/dynamodb-job-store.js';
import { jobView } from '../domain/jobs.js';
import { listJobsQuerySchema } from '../domain/query-schemas.js';
import { decodeCursor, encodeCursor, type CursorKey } from '../http/cursor.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobStore } from '../shared/deps.js';
import { listJobs } from '../use-cases/jobs.js';

const deps = appJobStore();
const QUERY = 'jobs';

/** `GET /jobs?limit=&cursor=`: jobs, newest first, a page at a time. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read jobs');
  const { limit, cursor } = parseInput(listJobsQuerySchema, event.queryStringParameters ?? {});
  const page = await listJobs(
    deps,
    limit,
    cursor === undefined ? undefined : decodeCursor(QUERY, cursor, jobCursorSchema),
  );
  return json(200, {
    jobs: page.jobs.map(jobView),
    next_cursor: page.next ? encodeCursor(QUERY, page.next as CursorKey) : null,
  });
});
