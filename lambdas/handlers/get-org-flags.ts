import { orgPathSchema } from '../domain/schemas.js';
import { callerOf, parseInput } from '../http/request.js';
import { httpHandler } from '../http/handler.js';
import { json } from '../http/responses.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { RecentlyLogged } from '../shared/recently-logged.js';
import { getOrgFlags } from '../use-cases/flags.js';

const deps = appDeps();
/** Each org's orphan key is warned about at most once an hour per function instance. */
const orphanWarnings = new RecentlyLogged(60 * 60 * 1000, 10_000);

/** `GET /org-feature-flags/{org_id}`: every registry flag once, merged with the org's rows. */
export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const { org_id } = parseInput(orgPathSchema, event.pathParameters ?? {});
  const { body, orphanKeys } = await getOrgFlags(deps, caller, org_id);
  const fresh = orphanWarnings.fresh(orphanKeys.map((key) => `${org_id}/${key}`));
  if (fresh.length > 0) {
    logger.warn(
      'Org has rows for keys not in the registry (ignored; `npm run flags:orphans` reports and removes them)',
      {
        org_id,
        orphan_keys: fresh.map((entry) => entry.slice(org_id.length + 1)),
      },
    );
  }
  return json(200, body);
});
