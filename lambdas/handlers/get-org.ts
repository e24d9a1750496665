import { orgPathSchema } from '../domain/schemas.js';
import { parseInput, staffOf } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { getOrg } from '../use-cases/orgs.js';

const deps = appDeps();

/** `GET /orgs/{org_id}`: the org record (attributes, provisioning, last sync) with its latest attribute changes. */
export const handler = httpHandler(async (event) => {
  staffOf(event, 'read org records');
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  return json(200, await getOrg(deps, org_id));
});
