import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ChangeEvent, ChangePublisher, PublishOutcome } from '../domain/change-events.js';
import { tracer } from '../shared/powertools.js';

/** The most entries one PutEvents call takes. */
export const PUT_EVENTS_BATCH = 10;

/**
 * Publishes events to one EventBridge bus, ten per PutEvents call, in order. A call that fails,
 * or an entry it reports failed, ends the publish there: the outcome says how many went out
 * before the first failure (later entries of the same call may have gone out too, and are sent
 * again with the retry). `endpoint` points the client at the local stack.
 */
export class EventBridgePublisher implements ChangePublisher {
  private readonly client: EventBridgeClient;

  constructor(
    private readonly eventBusName: string,
    endpoint?: string,
  ) {
    this.client = tracer.captureAWSv3Client(
      new EventBridgeClient({ maxAttempts: 3, ...(endpoint ? { endpoint } : {}) }),
    );
  }

  async publish(events: readonly ChangeEvent[]): Promise<PublishOutcome> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      const batch = events.slice(start, start + PUT_EVENTS_BATCH);
      let entries;
      try {
        ({ Entries: entries } = await this.client.send(
          new PutEventsCommand({ Entries: batch.map((event) => this.entry(event)) }),
        ));
      } catch (error) {
        return {
          published: start,
          error: `PutEvents failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        };
      }
      for (let index = 0; index < batch.length; index++) {
        const result = entries?.[index];
        if (!result?.EventId || result.ErrorCode) {
          const reason = result?.ErrorCode
            ? `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`
            : 'no event id in the response';
          return {
            published: start + index,
            error: `PutEvents refused the entry of change ${batch[index]?.detail.change_id} (${reason})`,
          };
        }
      }
    }
    return { published: events.length };
  }

  private entry(event: ChangeEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Time: event.time,
      Detail: JSON.stringify(event.detail),
    };
  }
}
