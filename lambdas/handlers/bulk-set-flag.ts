import { flagPathSchema } from '../domain/schemas.js';
import { bulkSetBodySchema } from '../domain/write-schemas.js';
import { callerOf, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { bulkSetFlag } from '../use-cases/flags.js';

const deps = appDeps();

/** `POST /feature-flags/{key}/orgs`: set one flag for up to 100 orgs, each an audited write, with a result per org. */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const { key } = parseInput(flagPathSchema, event.pathParameters ?? {});
  const body = parseInput(bulkSetBodySchema, jsonBody(event));
  const result = await bulkSetFlag(deps, caller, key, body, {
    requestId: event.requestContext.requestId,
    now: new Date(),
    onError: (orgId, error) => logger.error('Bulk change failed for one org', { org_id: orgId, key, error }),
  });
  logger.info('Bulk flag change', { key, enabled: body.enabled, by: caller.id, ...result.counts });
  return json(200, result);
});
