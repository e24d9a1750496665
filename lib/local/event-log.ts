import { appendFileSync, mkdirSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { FEATURE_FLAG_CHANGED } from '../../lambdas/domain/change-events.js';
import type { EventBridgeEvent } from './put-events.js';

/** The file, under DATA_DIR, that every event put on the local bus is appended to. */
export const EVENT_LOG_FILE = 'events.jsonl';

/**
 * The record of every event put on the local bus: one JSON line per event in `file`, and one
 * readable line in the log. The line is appended before PutEvents answers, so an event the
 * publisher saw accepted is in the file even if the process is killed right after.
 */
export class EventLog {
  constructor(
    readonly file: string,
    private readonly log?: (line: string) => void,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  record(event: EventBridgeEvent): void {
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.log?.(`[events] ${describeEvent(event)}`);
  }
}

/** One line for a person: `FeatureFlagChanged acme/chat on (was off; v…, by …, change …)`, or the type, source and id of any other event. */
export function describeEvent(
  event: Pick<EventBridgeEvent, 'detail-type' | 'source' | 'id' | 'detail' | 'time'>,
): string {
  const detail = event.detail ?? {};
  if (event['detail-type'] === FEATURE_FLAG_CHANGED) {
    const state = (value: unknown) => (value === true ? 'on' : value === false ? 'off' : '?');
    const by = typeof detail.changed_by_email === 'string' ? detail.changed_by_email : String(detail.changed_by);
    return (
      `${FEATURE_FLAG_CHANGED} ${String(detail.org_id)}/${String(detail.key)} ${state(detail.enabled)} ` +
      `(was ${state(detail.previous_enabled)}; v${String(detail.version)}, by ${by}, at ${String(detail.changed_at)}, change ${String(detail.change_id)})`
    );
  }
  const org = typeof detail.org_id === 'string' ? ` ${detail.org_id}` : '';
  return `${event['detail-type']}${org} from ${event.source} (${event.id}, at ${event.time})`;
}

/** A line of the event log as a person reads it; a line that is not an event is shown as it is. */
export function formatEventLine(line: string): string {
  try {
    const event = JSON.parse(line) as EventBridgeEvent;
    if (typeof event === 'object' && event !== null && typeof event['detail-type'] === 'string')
      return describeEvent(event);
  } catch {
    // shown raw below
  }
  return line;
}

/** Options of {@link tailEventLog}. */
export interface TailOptions {
  /** Keep reading what is appended, until `signal` aborts. */
  readonly follow: boolean;
  /** Print the JSON lines as stored instead of one readable line per event. */
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly pollIntervalMs?: number;
}

/**
 * Prints the event log, then, when following, each event appended to it (waiting for the file if
 * it does not exist yet, starting over if it was truncated).
 */
export async function tailEventLog(file: string, options: TailOptions): Promise<void> {
  const pollInterval = options.pollIntervalMs ?? 200;
  let offset = 0;
  // Bytes after the last newline read: the start of a line still being written.
  let partial = Buffer.alloc(0);
  const emit = (line: string) => {
    if (line.trim() !== '') options.write(options.json ? line : formatEventLine(line));
  };
  for (;;) {
    const size = await stat(file).then(
      (info) => info.size,
      () => undefined,
    );
    if (size !== undefined && size < offset) {
      offset = 0;
      partial = Buffer.alloc(0);
    }
    if (size !== undefined && size > offset) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        offset += bytesRead;
        const text = Buffer.concat([partial, buffer.subarray(0, bytesRead)]);
        const end = text.lastIndexOf(0x0a) + 1;
        partial = text.subarray(end);
        text.subarray(0, end).toString('utf8').split('\n').forEach(emit);
      } finally {
        await handle.close();
      }
    }
    if (!options.follow || options.signal?.aborted) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollInterval);
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
    if (options.signal?.aborted) break;
  }
  if (!options.follow) emit(partial.toString('utf8'));
}
