import type { AttributeFilter } from '../domain/org-attributes.js';
import { listOrgsQuerySchema, orgPositionSchema } from '../domain/query-schemas.js';
import { queryCursor } from '../http/cursor.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { listOrgs } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /orgs?prefix=&limit=&cursor=&<attribute>=`: provisioned orgs in org id order, from the `orgs` index. */
export const handler = httpHandler(async (event) => {
  staffOf(event, 'list orgs');
  const { prefix, limit, cursor, ...filters } = parseInput(listOrgsQuerySchema, event.queryStringParameters ?? {});
  const filter: AttributeFilter = Object.fromEntries(
    Object.entries(filters)
      .filter((entry): entry is [string, string[]] => Array.isArray(entry[1]))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const cursors = queryCursor(
    `orgs:${prefix ?? ''}${Object.keys(filter).length > 0 ? `:${JSON.stringify(filter)}` : ''}`,
    orgPositionSchema,
  );
  const page = await listOrgs(deps, { ...(prefix ? { prefix } : {}), ...cursors.read(cursor), limit, filter });
  return json(200, {
    orgs: page.items,
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
