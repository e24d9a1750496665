import type { ChangeEvent, ChangeInput, ChangePublisher } from '../domain/change-events.js';

/** What publishing a batch of stream records did. */
export interface PublishChangesResult {
  /** How many records, in order, are done with: published, or not a change. The rest must be retried. */
  readonly handled: number;
  readonly published: ChangeEvent[];
  readonly skipped: number;
  /** Why the record at index `handled` failed, when one did. */
  readonly failure?: string;
}

/**
 * Publishes the events of a batch of stream records, in order. Publishing stops at the first
 * record that is malformed or whose event the bus refused, so that nothing after it is handled
 * before it: a retry starts there, and a consumer may see a change again, never miss one.
 */
export async function publishChanges(
  deps: { readonly publisher: ChangePublisher },
  changes: readonly ChangeInput[],
): Promise<PublishChangesResult> {
  const malformed = changes.findIndex((change) => change.kind === 'malformed');
  const end = malformed < 0 ? changes.length : malformed;
  const events: ChangeEvent[] = [];
  const positions: number[] = [];
  changes.slice(0, end).forEach((change, index) => {
    if (change.kind !== 'event') return;
    events.push(change.event);
    positions.push(index);
  });
  const skipped = (count: number) => changes.slice(0, count).filter((change) => change.kind === 'skip').length;

  const outcome = events.length > 0 ? await deps.publisher.publish(events) : { published: 0 };
  if (outcome.published < events.length) {
    const handled = positions[outcome.published] ?? 0;
    return {
      handled,
      published: events.slice(0, outcome.published),
      skipped: skipped(handled),
      failure: outcome.error ?? 'the event was not published',
    };
  }
  const failed = changes[end];
  if (failed?.kind === 'malformed')
    return { handled: end, published: events, skipped: skipped(end), failure: failed.reason };
  return { handled: changes.length, published: events, skipped: skipped(changes.length) };
}
