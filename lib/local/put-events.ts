import { z } from 'zod';

/** Maximum number of entries EventBridge accepts in one PutEvents call. */
export const MAX_PUT_EVENTS_ENTRIES = 10;

/** Maximum total size in bytes of the entries of one PutEvents call (256 KiB). */
export const MAX_PUT_EVENTS_SIZE_BYTES = 256 * 1024;

/**
 * One entry of a PutEvents request as serialised by `@aws-sdk/client-eventbridge`
 * (AWS JSON 1.1). Every member is optional at the wire level; missing required
 * members are reported per entry by {@link entryError}. `Time` is in epoch
 * seconds (possibly fractional).
 */
export const putEventsRequestEntrySchema = z.object({
  Source: z.string().optional(),
  DetailType: z.string().optional(),
  Detail: z.string().optional(),
  EventBusName: z.string().optional(),
  Resources: z.array(z.string()).optional(),
  Time: z.number().optional(),
  TraceHeader: z.string().optional(),
});

/** Body of a PutEvents request (`X-Amz-Target: AWSEvents.PutEvents`). */
export const putEventsRequestSchema = z.object({
  Entries: z.array(putEventsRequestEntrySchema),
  EndpointId: z.string().optional(),
});

/** A PutEvents request entry that passed request-level parsing. */
export type PutEventsRequestEntry = z.infer<typeof putEventsRequestEntrySchema>;

/** Outcome of {@link parsePutEventsRequest}. */
export type ParsePutEventsResult =
  | { ok: true; entries: PutEventsRequestEntry[]; endpointId?: string }
  | { ok: false; code: 'ValidationException' | 'SerializationException'; message: string };

/** Per-entry failure as reported in `Entries[i]` of a PutEvents response. */
export interface PutEventsEntryError {
  ErrorCode: string;
  ErrorMessage: string;
}

/** Per-entry result of a PutEvents call: an event id on success, an error otherwise. */
export type PutEventsResultEntry = { EventId: string } | PutEventsEntryError;

/** Body of a PutEvents response. */
export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** An event in the shape EventBridge delivers to rule targets. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Values EventBridge fills in when it turns an entry into an event. */
export interface EventEnvelope {
  id: string;
  account: string;
  region: string;
  now: Date;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lengthViolation(entries: unknown[]): string | null {
  if (entries.length < 1) {
    return "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1";
  }
  if (entries.length > MAX_PUT_EVENTS_ENTRIES) {
    return `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_EVENTS_ENTRIES}`;
  }
  return null;
}

function utf8Length(value: string | undefined): number {
  return value === undefined ? 0 : Buffer.byteLength(value, 'utf8');
}

/**
 * Size of an entry as EventBridge counts it against the 256 KiB request
 * limit: 14 bytes for `Time` when present, plus the UTF-8 length of `Source`,
 * `DetailType`, `Detail` and each of `Resources`.
 */
export function entrySizeBytes(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    utf8Length(entry.Source) +
    utf8Length(entry.DetailType) +
    utf8Length(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + utf8Length(resource), 0)
  );
}

/**
 * Parses a PutEvents request body (already JSON-decoded). Request-level
 * problems that make EventBridge reject the whole call are returned as
 * `{ ok: false }`: a body that is not an object or whose members have the
 * wrong JSON types (`SerializationException`), and a missing, empty or
 * oversized `Entries` list or entries over 256 KiB in total
 * (`ValidationException`). Entry-level problems are left to {@link entryError}.
 */
export function parsePutEventsRequest(body: unknown): ParsePutEventsResult {
  if (!isPlainObject(body)) {
    return { ok: false, code: 'SerializationException', message: 'Request body must be a JSON object.' };
  }
  if (body.Entries === undefined || body.Entries === null) {
    return {
      ok: false,
      code: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    };
  }
  if (Array.isArray(body.Entries)) {
    const violation = lengthViolation(body.Entries);
    if (violation !== null) return { ok: false, code: 'ValidationException', message: violation };
  }
  const parsed = putEventsRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : '';
    return {
      ok: false,
      code: 'SerializationException',
      message: `Unexpected value${where}: ${issue?.message ?? 'invalid request'}`,
    };
  }
  const { Entries: entries, EndpointId: endpointId } = parsed.data;
  const totalSize = entries.reduce((sum, entry) => sum + entrySizeBytes(entry), 0);
  if (totalSize > MAX_PUT_EVENTS_SIZE_BYTES) {
    return {
      ok: false,
      code: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    };
  }
  return endpointId === undefined ? { ok: true, entries } : { ok: true, entries, endpointId };
}

function missing(value: string | undefined): boolean {
  return value === undefined || value === '';
}

function requiredArgument(name: string): PutEventsEntryError {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
  };
}

function parseDetail(detail: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(detail);
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Checks one entry the way EventBridge does before accepting it, returning
 * `null` for a valid entry or the `{ ErrorCode, ErrorMessage }` EventBridge
 * reports in that entry's slot of the response: `InvalidArgument` for a
 * missing `Source`, `DetailType` or `Detail`, `NotAuthorizedForSourceException`
 * for a `Source` in the reserved `aws.` namespace, and `MalformedDetail` when
 * `Detail` is not valid JSON or not a JSON object.
 */
export function entryError(entry: PutEventsRequestEntry): PutEventsEntryError | null {
  if (missing(entry.Source)) return requiredArgument('Source');
  if (missing(entry.DetailType)) return requiredArgument('DetailType');
  if (entry.Detail === undefined) return requiredArgument('Detail');
  if (entry.Source?.startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  if (parseDetail(entry.Detail) === null) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  return null;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Turns a valid entry into the event EventBridge delivers to targets. `time`
 * is the entry's `Time` when given (and representable), otherwise `now`, formatted as ISO 8601
 * without milliseconds (e.g. `2026-11-22T19:30:45Z`). Throws when
 * {@link entryError} would report the entry as invalid.
 */
export function toEventBridgeEvent(entry: PutEventsRequestEntry, envelope: EventEnvelope): EventBridgeEvent {
  const problem = entryError(entry);
  if (problem !== null) throw new Error(`${problem.ErrorCode}: ${problem.ErrorMessage}`);
  const given = entry.Time === undefined ? null : new Date(Math.floor(entry.Time) * 1000);
  const time = given !== null && !Number.isNaN(given.getTime()) ? given : envelope.now;
  return {
    version: '0',
    id: envelope.id,
    'detail-type': entry.DetailType as string,
    source: entry.Source as string,
    account: envelope.account,
    time: isoSeconds(time),
    region: envelope.region,
    resources: [...(entry.Resources ?? [])],
    detail: parseDetail(entry.Detail as string) as Record<string, unknown>,
  };
}

/**
 * Builds a PutEvents response body from per-entry results given in request
 * order, counting the entries that carry an `ErrorCode` as failed.
 */
export function putEventsResponse(results: readonly PutEventsResultEntry[]): PutEventsResponse {
  return {
    FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
    Entries: [...results],
  };
}
