import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import { timeoutSecondsOf } from '../service/handlers.js';
import type { EventRuleDeclaration } from '../service/rules.js';
import { matchesEventPattern } from './event-pattern.js';
import { lambdaContext } from './http-api.js';
import {
  entryError,
  parsePutEventsRequest,
  putEventsResponse,
  toEventBridgeEvent,
  type EventBridgeEvent,
  type PutEventsResponse,
  type PutEventsResultEntry,
} from './put-events.js';

/** A function the bus can deliver to: the Lambda handler of a rule's target. */
export type EventTarget = (event: EventBridgeEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/** An event that exhausted its retries, kept as a dead-letter queue would keep it. */
export interface DeadLetter {
  readonly rule: string;
  readonly target: string;
  readonly event: EventBridgeEvent;
  readonly attempts: number;
  readonly error: string;
  readonly failed_at: string;
}

/** Settings of the local bus. */
export interface LocalEventBusOptions {
  readonly rules: readonly EventRuleDeclaration[];
  readonly targets: Readonly<Record<string, EventTarget>>;
  /** JSON Lines file dead letters are appended to. */
  readonly deadLetterFile: string;
  /** Delay before the first retry; doubled each time. AWS waits longer; locally, fast feedback wins. */
  readonly retryBaseDelayMs?: number;
  /** Deliveries running at once; the others wait their turn (and a retry waits again). */
  readonly maxConcurrentDeliveries?: number;
  readonly log?: (line: string) => void;
  /** Records every event put on the bus (lib/local/event-log.ts), before PutEvents answers. */
  readonly eventLog?: { record(event: EventBridgeEvent): void };
}

/**
 * Deliveries the bus runs at once. In AWS each delivery is a Lambda of its own over a table that
 * scales; locally every one runs in this process against one DynamoDB Local, which a burst of
 * hundreds at once slows past the functions' DynamoDB time limits (2 s, three tries), so that
 * events ended as dead letters.
 */
export const DEFAULT_CONCURRENT_DELIVERIES = 16;

/** Dead letters the bus keeps in memory: the most recent ones; the dead-letter file has them all. */
export const DEAD_LETTERS_KEPT = 100;

/** Result of a PutEvents call: the response body, or a request-level error for a 400. */
export type PutEventsResult =
  | { readonly ok: true; readonly response: PutEventsResponse }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * A local stand-in for the org event bus: accepts PutEvents, matches each event against the
 * declared rules and delivers it to the rule's target asynchronously, retrying as the rule's
 * retry policy says and then keeping the event as a dead letter.
 */
export class LocalEventBus {
  /** The most recent {@link DEAD_LETTERS_KEPT} dead letters, oldest first. */
  readonly deadLetters: DeadLetter[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly running: LimitFunction;

  constructor(private readonly options: LocalEventBusOptions) {
    this.running = pLimit(options.maxConcurrentDeliveries ?? DEFAULT_CONCURRENT_DELIVERIES);
  }

  putEvents(body: unknown, now: Date = new Date()): PutEventsResult {
    const parsed = parsePutEventsRequest(body);
    if (!parsed.ok) return parsed;
    const results: PutEventsResultEntry[] = parsed.entries.map((entry) => {
      const problem = entryError(entry);
      if (problem) return problem;
      const event = toEventBridgeEvent(entry, {
        id: randomUUID(),
        account: '000000000000',
        region: process.env.AWS_REGION ?? 'local',
        now,
      });
      this.options.eventLog?.record(event);
      this.route(event);
      return { EventId: event.id };
    });
    return { ok: true, response: putEventsResponse(results) };
  }

  /** Resolves once every delivery under way (retries included) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private route(event: EventBridgeEvent): void {
    for (const rule of this.options.rules) {
      if (!matchesEventPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
      const delivery = this.deliver(rule, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async deliver(rule: EventRuleDeclaration, event: EventBridgeEvent): Promise<void> {
    const target = this.options.targets[rule.target];
    const baseDelay = this.options.retryBaseDelayMs ?? 200;
    const attempts = rule.retryAttempts + 1;
    let lastError = `no target '${rule.target}'`;
    for (let attempt = 1; target && attempt <= attempts; attempt++) {
      try {
        await this.running(() => target(event, lambdaContext(rule.target, timeoutSecondsOf(rule.target) * 1000)));
        return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (attempt - 1)));
      }
    }
    const letter: DeadLetter = {
      rule: rule.id,
      target: rule.target,
      event,
      attempts,
      error: lastError,
      failed_at: new Date().toISOString(),
    };
    this.deadLetters.push(letter);
    if (this.deadLetters.length > DEAD_LETTERS_KEPT)
      this.deadLetters.splice(0, this.deadLetters.length - DEAD_LETTERS_KEPT);
    const summary = `[events] ${event['detail-type']} ${event.id} dead-lettered after ${attempts} attempts: ${lastError}`;
    try {
      await mkdir(path.dirname(this.options.deadLetterFile), { recursive: true });
      await appendFile(this.options.deadLetterFile, `${JSON.stringify(letter)}\n`);
      this.options.log?.(`${summary} (${this.options.deadLetterFile})`);
    } catch (error) {
      this.options.log?.(
        `${summary}; it could not be written to ${this.options.deadLetterFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
