import { ForbiddenError } from '../domain/errors.js';
import { orgPathSchema } from '../domain/schemas.js';
import { callerOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { provisionOrg } from '../use-cases/flags.js';

const deps = appDeps();

/**
 * `POST /orgs/{org_id}/provision`: admins backfill an org that existed before this service, by
 * the same code path as `OrgCreated`. 201 when this call provisioned it, 200 when it already was.
 */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  if (caller.role !== 'admin') throw new ForbiddenError('forbidden', 'Only platform admins may provision orgs.');
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  const result = await provisionOrg(deps, org_id, { actor: caller.id, now: new Date() });
  if (result.provisioned) logger.info('Org provisioned by backfill', { ...result, by: caller.id });
  return json(result.provisioned ? 201 : 200, result);
});
