import { bulkEtag, bulkEvaluation } from '../domain/ofrep.js';
import { httpHandler } from '../http/handler.js';
import { evaluationOrgId, ofrepErrorResponse } from '../http/ofrep.js';
import { callerOf, header, matchesIfNoneMatch } from '../http/request.js';
import { jsonText, notModified } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { getOrgFlags } from '../use-cases/flags.js';

const deps = appDeps();

/**
 * `POST /ofrep/v1/evaluate/flags`: every flag the caller may see, for the org named by
 * `context.targetingKey` (OFREP bulk evaluation), with the answer's `ETag`; 304 when `If-None-Match` names it.
 */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const orgId = evaluationOrgId(event);
  const { body } = await getOrgFlags(deps, caller, orgId);
  const answer = JSON.stringify(bulkEvaluation(orgId, body.flags, body.registry_version));
  const etag = bulkEtag(answer);
  if (matchesIfNoneMatch(header(event, 'if-none-match'), etag)) return notModified(etag);
  return jsonText(200, answer, { etag });
}, ofrepErrorResponse);
