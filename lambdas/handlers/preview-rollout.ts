import { rolloutPathSchema } from '../domain/rollout-schemas.js';
import { adminOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appJobLauncher } from '../shared/job-launcher.js';
import { appRolloutDeps } from '../shared/rollout-deps.js';
import { logger } from '../shared/powertools.js';
import { previewRollout } from '../use-cases/rollouts.js';

const deps = appRolloutDeps(appJobLauncher);

/** `POST /rollouts/{rollout_id}/preview`: starts the preview, a job over all orgs; 202 with the rollout, previewing. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'preview rollouts');
  const { rollout_id } = parseInput(rolloutPathSchema, event.pathParameters ?? {});
  const rollout = await previewRollout(deps, caller, rollout_id, { now: new Date() });
  logger.info('Rollout preview started', { rollout_id, job_id: rollout.preview?.job_id, by: caller.id });
  return json(202, rollout, { location: `/rollouts/${rollout_id}` });
});
