import { orgPathSchema } from '../domain/schemas.js';
import { callerOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { getOrgFlags } from '../use-cases/flags.js';

const deps = appDeps();

/** `GET /org-feature-flags/{org_id}`: every registry flag once, merged with the org's rows. */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  const { body, orphanKeys } = await getOrgFlags(deps, caller, org_id);
  if (orphanKeys.length > 0) logger.warn('Org has rows for keys not in the registry', { org_id, orphan_keys: orphanKeys });
  return json(200, body);
});
