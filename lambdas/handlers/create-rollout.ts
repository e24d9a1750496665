import { MAX_ROLLOUT_BODY_BYTES, createRolloutBodySchema } from '../domain/rollout-schemas.js';
import { adminOf, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { logger } from '../shared/powertools.js';
import { createRollout } from '../use-cases/rollouts.js';

const deps = appRolloutDeps();

/** `POST /rollouts`: an admin drafts a rollout of one flag; 201 with the rollout, which nothing has applied yet. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'create rollouts');
  const body = parseInput(createRolloutBodySchema, jsonBody(event, MAX_ROLLOUT_BODY_BYTES));
  const rollout = await createRollout(deps, caller, body, { now: new Date() });
  logger.info('Rollout created', { rollout_id: rollout.rollout_id, key: rollout.key, by: caller.id });
  return json(201, rollout, { location: `/rollouts/${rollout.rollout_id}` });
});
