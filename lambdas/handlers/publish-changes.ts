import { changeOf, type ChangeInput } from '../domain/change-events.js';
import { appChangePublisher } from '../shared/change-publisher.js';
import { logger } from '../shared/powertools.js';
import { streamHandler, type StreamRecordInput } from '../streams/handler.js';
import { publishChanges } from '../use-cases/change-events.js';

const toChange = (input: StreamRecordInput): ChangeInput =>
  input.ok ? changeOf(input.record) : { kind: 'malformed', reason: input.reason };

/**
 * Publishes `FeatureFlagChanged` for each history entry inserted in the flag table, read from the
 * table's stream. Records from the first one that could not be published on are reported as
 * failed, so Lambda retries them in order.
 */
export const handler = streamHandler(async (records) => {
  const result = await publishChanges({ publisher: appChangePublisher() }, records.map(toChange));
  for (const event of result.published)
    logger.debug('Change published', {
      change_id: event.detail.change_id,
      org_id: event.detail.org_id,
      key: event.detail.key,
    });
  if (result.failure) {
    logger.error('Change events not published; the records from the first failure on are retried', {
      published: result.published.length,
      retried: records.length - result.handled,
      reason: result.failure,
    });
  } else {
    logger.info('Change events published', { published: result.published.length, skipped: result.skipped });
  }
  return result.handled;
});
