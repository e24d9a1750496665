import { listOrgsQuerySchema, orgPositionSchema } from '../domain/query-schemas.js';
import { queryCursor } from '../http/cursor.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { listOrgs } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /orgs?prefix=&limit=&cursor=`: provisioned orgs in org id order, from the `orgs` index. */
export const handler = httpHandler(async (event) => {
  staffOf(event, 'list orgs');
  const { prefix, limit, cursor } = parseInput(listOrgsQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`orgs:${prefix ?? ''}`, orgPositionSchema);
  const page = await listOrgs(deps, { ...(prefix ? { prefix } : {}), ...cursors.read(cursor), limit });
  return json(200, {
    orgs: page.items,
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
