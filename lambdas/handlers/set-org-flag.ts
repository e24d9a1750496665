import { setFlagBodySchema } from '../domain/schemas.js';
import { callerOf, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { setOrgFlag } from '../use-cases/flags.js';

const deps = appDeps();

/** `POST /org-feature-flags`: a person sets one flag of one org; written with its history entry. */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const body = parseInput(setFlagBodySchema, jsonBody(event));
  const result = await setOrgFlag(deps, caller, body, { requestId: event.requestContext.requestId, now: new Date() });
  if (result.changed) {
    logger.info('Flag changed', { org_id: body.org_id, key: body.key, enabled: body.enabled, by: caller.id, version: result.flag.version });
  }
  return json(200, result);
});
