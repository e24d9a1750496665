import { orgAttributesBodySchema } from '../domain/org-attribute-schemas.js';
import { orgPathSchema } from '../domain/schemas.js';
import { adminOf, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { setOrgAttributes } from '../use-cases/orgs.js';

const deps = appDeps();

/** `PUT /orgs/{org_id}/attributes`: an admin sets the org's whole set of attributes; audited. */
export const handler = httpHandler(async (event) => {
  const caller = adminOf(event, 'set org attributes');
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  const { attributes } = parseInput(orgAttributesBodySchema, jsonBody(event));
  const result = await setOrgAttributes(deps, caller, org_id, attributes as Record<string, string>, {
    requestId: event.requestContext.requestId,
    now: new Date(),
  });
  if (result.changed) logger.info('Org attributes set', { org_id, attributes, by: caller.id });
  return json(200, result.org);
});
