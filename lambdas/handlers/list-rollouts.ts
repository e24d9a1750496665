import { listRolloutsQuerySchema, rolloutPositionSchema } from '../domain/rollout-schemas.js';
import { queryCursor } from '../http/cursor.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { listRollouts } from '../use-cases/rollouts.js';

const deps = appRolloutDeps();

/** `GET /rollouts?key=&status=&limit=&cursor=`: rollouts, newest first. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read rollouts');
  const { key, status, limit, cursor } = parseInput(listRolloutsQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`rollouts:${key ?? ''}:${status ?? ''}`, rolloutPositionSchema);
  const page = await listRollouts(deps, {
    ...(key ? { key } : {}),
    ...(status ? { status } : {}),
    ...cursors.read(cursor),
    limit,
  });
  return json(200, {
    rollouts: page.items,
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
