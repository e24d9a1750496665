import { rolloutPathSchema } from '../domain/rollout-schemas.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { getRollout } from '../use-cases/rollouts.js';

const deps = appRolloutDeps();

/** `GET /rollouts/{rollout_id}`: the rollout, its status, and its preview's counts per step and by attribute. */
export const handler = httpHandler(async (event) => {
  adminOf(event, 'read rollouts');
  const { rollout_id } = parseInput(rolloutPathSchema, event.pathParameters ?? {});
  return json(200, await getRollout(deps, rollout_id));
});
