import { flagHistoryQuerySchema, historyPositionSchema } from '../domain/query-schemas.js';
import { flagPathSchema } from '../domain/schemas.js';
import { queryCursor } from '../http/cursor.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { flagHistory } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /feature-flags/{key}/history?limit=&cursor=`: one flag's changes across every org, newest first. */
export const handler = httpHandler(async (event) => {
  staffOf(event, "read a flag's history");
  const { key } = parseInput(flagPathSchema, event.pathParameters ?? {});
  const { limit, cursor } = parseInput(flagHistoryQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`flag-history:${key}`, historyPositionSchema, { key });
  const after = cursors.read(cursor);
  const page = await flagHistory(deps, { key, ...(after ? { after } : {}), limit });
  return json(200, { key, changes: page.items, next_cursor: cursors.write(page.next) });
});
