import { ORG_UPDATED } from '../domain/events.js';
import { orgUpdatedDetailSchema } from '../domain/event-schemas.js';
import { readAttributes } from '../domain/org-attributes.js';
import { eventHandler } from '../events/consumer.js';
import { appDeps } from '../shared/deps.js';
import { logger } from '../shared/powertools.js';
import { updateOrgAttributes } from '../use-cases/orgs.js';

const deps = appDeps();

/**
 * Applies an `OrgUpdated` event's attributes. An event older than the stored attributes changes
 * nothing; an undeclared or invalid attribute is logged and left as it was. An org not provisioned
 * yet fails the event, so that retries (and finally the DLQ) give its `OrgCreated` time to arrive.
 */
export const handler = eventHandler(ORG_UPDATED, orgUpdatedDetailSchema, async (event) => {
  const { org_id: orgId, attributes, occurred_at: occurredAt } = event.detail;
  const { values, ignored } = readAttributes(deps.registry.orgAttributes, attributes, { removals: true });
  if (ignored.length > 0)
    logger.warn('OrgUpdated attributes left unchanged', { org_id: orgId, ignored, event_id: event.id });
  const outcome = await updateOrgAttributes(deps, {
    orgId,
    mode: 'patch',
    values,
    occurredAt: new Date(occurredAt).toISOString(),
    actor: `event:${event.source}`,
    source: 'event',
    requestId: event.id,
    now: new Date(),
  });
  if (outcome.kind === 'org_not_found') throw new Error(`org ${orgId} is not provisioned (yet)`);
  logger.info(
    {
      changed: 'Org attributes updated',
      unchanged: 'Org attributes already as the event says',
      stale: 'OrgUpdated older than the stored attributes; ignored',
    }[outcome.kind],
    { org_id: orgId, occurred_at: occurredAt, event_id: event.id },
  );
});
