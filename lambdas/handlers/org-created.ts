import { ORG_CREATED } from '../domain/events.js';
import { orgCreatedDetailSchema } from '../domain/event-schemas.js';
import { readAttributes } from '../domain/org-attributes.js';
import { eventHandler } from '../events/consumer.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { provisionOrg } from '../use-cases/flags.js';

const deps = appDeps();

/**
 * Provisions the new org's flags with the declared attributes its detail carries. Redelivered and
 * concurrent events change nothing; a malformed event is rejected with a logged reason and an
 * error, so retries and the DLQ take it. An undeclared or invalid attribute is logged and left unset.
 */
export const handler = eventHandler(ORG_CREATED, orgCreatedDetailSchema, async (event) => {
  const { org_id: orgId, occurred_at: occurredAt, ...fields } = event.detail;
  const { values, ignored } = readAttributes(deps.registry.orgAttributes, fields);
  if (ignored.length > 0) logger.warn('OrgCreated fields left unset', { org_id: orgId, ignored, event_id: event.id });
  const result = await provisionOrg(deps, orgId, {
    actor: `event:${event.source}`,
    now: new Date(),
    attributes: {
      values,
      occurredAt: new Date(
        typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? occurredAt : event.time,
      ).toISOString(),
      requestId: event.id,
    },
  });
  logger.info(result.provisioned ? 'Org provisioned' : 'Org already provisioned; event ignored', {
    ...result,
    event_id: event.id,
  });
});
