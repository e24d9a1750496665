import { byFlagQuerySchema, orgPositionSchema } from '../domain/query-schemas.js';
import { flagPathSchema } from '../domain/schemas.js';
import { queryCursor } from '../http/cursor.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { flagAcrossOrgs } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /org-feature-flags/by-flag/{key}?enabled=&limit=&cursor=`: every provisioned org's state of one flag, by org id. */
export const handler = httpHandler(async (event) => {
  const caller = staffOf(event, 'list a flag across orgs');
  const { key } = parseInput(flagPathSchema, event.pathParameters ?? {});
  const { enabled, limit, cursor } = parseInput(byFlagQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`by-flag:${key}:${enabled ?? ''}`, orgPositionSchema);
  const page = await flagAcrossOrgs(deps, caller, {
    key,
    ...(enabled === undefined ? {} : { enabled }),
    ...cursors.read(cursor),
    limit,
  });
  return json(200, {
    key,
    flag: page.definition,
    registry_version: deps.registry.version,
    orgs: page.items,
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
