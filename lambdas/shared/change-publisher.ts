import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import type { ChangePublisher } from '../domain/change-events.js';
import { eventsConfig } from './config.js';

let publisher: ChangePublisher | undefined;

/** The publisher to the org event bus, built on first use (so the module loads without its settings). */
export function appChangePublisher(): ChangePublisher {
  if (!publisher) {
    const settings = eventsConfig();
    publisher = new EventBridgePublisher(settings.eventBusName, settings.eventBridgeEndpoint);
  }
  return publisher;
}
