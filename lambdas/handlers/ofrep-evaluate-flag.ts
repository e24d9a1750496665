import { flagNotFound } from '../domain/errors.js';
import { evaluation } from '../domain/ofrep.js';
import { flagKeySchema } from '../domain/schemas.js';
import { httpHandler } from '../http/handler.js';
import { evaluationOrgId, ofrepErrorResponse } from '../http/ofrep.js';
import { callerOf } from '../http/request.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { getOrgFlag } from '../use-cases/views.js';

const deps = appDeps();

/** `POST /ofrep/v1/evaluate/flags/{key}`: one flag for the org named by `context.targetingKey` (OFREP). */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const key = event.pathParameters?.key ?? '';
  const orgId = evaluationOrgId(event);
  if (!flagKeySchema.safeParse(key).success) throw flagNotFound(key);
  const { flag } = await getOrgFlag(deps, caller, orgId, key);
  return json(200, evaluation(flag, deps.registry.version));
}, ofrepErrorResponse);
