import { BadRequestError } from '../domain/errors.js';
import { ifMatchSchema, setFlagBodySchema } from '../domain/write-schemas.js';
import { callerOf, header, jsonBody, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { setOrgFlag } from '../use-cases/flags.js';

const deps = appDeps();

/**
 * `POST /org-feature-flags`: a person sets one flag of one org; written with its history entry.
 * `If-Match: "<version>"` names the expected version like `version` in the body, answering 412 instead of 409.
 */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const body = parseInput(setFlagBodySchema, jsonBody(event));
  const raw = header(event, 'if-match');
  const ifMatch = raw === undefined ? undefined : parseInput(ifMatchSchema, raw);
  if (ifMatch !== undefined && body.version !== undefined && ifMatch !== body.version) {
    throw new BadRequestError(
      'invalid_request',
      `If-Match names version ${ifMatch} but the body names ${body.version}; send one.`,
    );
  }
  const result = await setOrgFlag(deps, caller, ifMatch === undefined ? body : { ...body, version: ifMatch }, {
    requestId: event.requestContext.requestId,
    now: new Date(),
    ...(ifMatch === undefined ? {} : { precondition: 'if-match' as const }),
  });
  if (result.changed) {
    logger.info('Flag changed', {
      org_id: body.org_id,
      key: body.key,
      enabled: body.enabled,
      by: caller.id,
      version: result.flag.version,
    });
  }
  return json(200, result, { etag: `"${result.flag.version}"` });
});
