import { historyPositionSchema, orgHistoryQuerySchema } from '../domain/query-schemas.js';
import { orgPathSchema } from '../domain/schemas.js';
import { queryCursor } from '../http/cursor.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { orgHistory } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /org-feature-flags/{org_id}/history?key=&limit=&cursor=`: one org's changes, newest first. */
export const handler = httpHandler(async (event) => {
  staffOf(event, "read an org's history");
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  const { key, limit, cursor } = parseInput(orgHistoryQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`history:${org_id}:${key ?? ''}`, historyPositionSchema, { orgId: org_id });
  const after = cursors.read(cursor);
  const page = await orgHistory(deps, { orgId: org_id, ...(key ? { key } : {}), ...(after ? { after } : {}), limit });
  return json(200, { org_id, changes: page.items, next_cursor: cursors.write(page.next) });
});
