import { MAX_ROLLOUT_BODY_BYTES, patchRolloutBodySchema, rolloutPathSchema } from '../domain/rollout-schemas.js';
import { adminOf, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { logger } from '../shared/powertools.js';
import { updateRollout } from '../use-cases/rollouts.js';

const deps = appRolloutDeps();

/** `PATCH /rollouts/{rollout_id}`: an admin edits a rollout that has not started; its preview and approval become stale. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'edit rollouts');
  const { rollout_id } = parseInput(rolloutPathSchema, event.pathParameters ?? {});
  const patch = parseInput(patchRolloutBodySchema, jsonBody(event, MAX_ROLLOUT_BODY_BYTES));
  const rollout = await updateRollout(deps, caller, rollout_id, patch, { now: new Date() });
  logger.info('Rollout edited', { rollout_id, fields: Object.keys(patch), by: caller.id });
  return json(200, rollout);
});
