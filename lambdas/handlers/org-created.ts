import { ORG_CREATED } from '../domain/events.js';
import { orgCreatedDetailSchema } from '../domain/event-schemas.js';
import { eventHandler } from '../events/consumer.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { provisionOrg } from '../use-cases/flags.js';

const deps = appDeps();

/**
 * Provisions the new org's flags. Redelivered and concurrent events change nothing; a malformed
 * event is rejected with a logged reason and an error, so retries and the DLQ take it.
 */
export const handler = eventHandler(ORG_CREATED, orgCreatedDetailSchema, async (event) => {
  const result = await provisionOrg(deps, event.detail.org_id, { actor: `event:${event.source}`, now: new Date() });
  logger.info(result.provisioned ? 'Org provisioned' : 'Org already provisioned; event ignored', {
    ...result,
    event_id: event.id,
  });
});
