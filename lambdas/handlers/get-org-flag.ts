import { orgFlagPathSchema } from '../domain/schemas.js';
import { callerOf, header, matchesIfNoneMatch, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json, notModified } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { getOrgFlag } from '../use-cases/views.js';

const deps = appDeps();

/** `GET /org-feature-flags/{org_id}/flags/{key}`: one flag of one org (one GetItem), with its version as `ETag`. */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const { org_id, key } = parseInput(orgFlagPathSchema, event.pathParameters ?? {});
  const body = await getOrgFlag(deps, caller, org_id, key);
  const etag = `"${body.flag.version}"`;
  if (matchesIfNoneMatch(header(event, 'if-none-match'), etag)) return notModified(etag);
  return json(200, body, { etag });
});
