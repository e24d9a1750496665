import { rolloutOrgsQuerySchema, rolloutPathSchema, rolloutPositionSchema } from '../domain/rollout-schemas.js';
import { queryCursor } from '../http/cursor.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { rolloutOrgs } from '../use-cases/rollouts.js';

const deps = appRolloutDeps();

/** `GET /rollouts/{rollout_id}/orgs?step=&outcome=&limit=&cursor=`: the exact orgs of the rollout's preview. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read rollouts');
  const { rollout_id } = parseInput(rolloutPathSchema, event.pathParameters ?? {});
  const { step, outcome, limit, cursor } = parseInput(rolloutOrgsQuerySchema, event.queryStringParameters ?? {});
  const cursors = queryCursor(`rollout-orgs:${rollout_id}:${step ?? ''}:${outcome ?? ''}`, rolloutPositionSchema);
  const page = await rolloutOrgs(deps, rollout_id, {
    ...(step === undefined ? {} : { step }),
    ...(outcome ? { outcome } : {}),
    ...cursors.read(cursor),
    limit,
  });
  return json(200, {
    rollout_id,
    preview_job_id: page.rollout.preview?.jobId ?? null,
    orgs: page.items,
    next_cursor: cursors.write(page.next === undefined ? undefined : { after: page.next }),
  });
});
