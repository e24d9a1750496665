import type { OrgAttributeDefinition, OrgAttributes } from '../../registry/index.js';

/** An org's attribute values, by declared name. */
export type AttributeValues = Readonly<Record<string, string>>;

/** The longest value a `string` attribute takes. */
export const MAX_STRING_ATTRIBUTE_LENGTH = 256;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why `value` does not fit the declaration, or undefined when it does. */
export function attributeValueProblem(definition: OrgAttributeDefinition, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  switch (definition.type) {
    case 'enum':
      return definition.values.includes(value) ? undefined : `must be one of ${definition.values.join(', ')}`;
    case 'string':
      return value.length >= 1 && value.length <= MAX_STRING_ATTRIBUTE_LENGTH
        ? undefined
        : `must be 1–${MAX_STRING_ATTRIBUTE_LENGTH} characters`;
    case 'date': {
      const date = new Date(`${value}T00:00:00Z`);
      return ISO_DATE.test(value) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
        ? undefined
        : 'must be a date (YYYY-MM-DD)';
    }
  }
}

/** Attribute values read from an event: the declared, valid ones, and why each other field was left unset. */
export interface ReadAttributes<V> {
  readonly values: Readonly<Record<string, V>>;
  readonly ignored: readonly string[];
}

/**
 * The declared attributes among `fields` whose values fit their declaration; every other field is
 * named in `ignored` with the reason. With `removals`, `null` names an attribute to unset.
 */
export function readAttributes(
  declared: OrgAttributes,
  fields: Readonly<Record<string, unknown>>,
  options: { removals: true },
): ReadAttributes<string | null>;
export function readAttributes(
  declared: OrgAttributes,
  fields: Readonly<Record<string, unknown>>,
  options?: { removals?: false },
): ReadAttributes<string>;
export function readAttributes(
  declared: OrgAttributes,
  fields: Readonly<Record<string, unknown>>,
  options: { removals?: boolean } = {},
): ReadAttributes<string | null> {
  const values: Record<string, string | null> = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const definition = declared.byName.get(name);
    if (!definition) {
      ignored.push(`${name}: not a declared org attribute`);
      continue;
    }
    if (value === null && options.removals) {
      values[name] = null;
      continue;
    }
    const problem = attributeValueProblem(definition, value);
    if (problem) ignored.push(`${name}: ${problem}`);
    else values[name] = value as string;
  }
  return { values, ignored };
}

/** The values after a change: each named attribute set, or unset where the change says `null`. */
export function patchAttributes(
  current: AttributeValues,
  change: Readonly<Record<string, string | null>>,
): AttributeValues {
  const next: Record<string, string> = { ...current };
  for (const [name, value] of Object.entries(change)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return sortedAttributes(next);
}

/** The values in name order, so that equal sets compare and store alike. */
export function sortedAttributes(values: AttributeValues): AttributeValues {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sameAttributes(a: AttributeValues, b: AttributeValues): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name]);
}

/** Attribute filters: for each named attribute, the values any one of which admits an org (none given: no filter). */
export type AttributeFilter = Readonly<Record<string, readonly string[] | undefined>>;

/** Whether the org's values pass every filter (an org without the attribute passes none of its filters). */
export function matchesAttributes(values: AttributeValues | undefined, filter: AttributeFilter): boolean {
  return Object.entries(filter).every(([name, admitted]) => {
    if (admitted === undefined) return true;
    const value = values?.[name];
    return value !== undefined && admitted.includes(value);
  });
}

/** A change of an org's attributes as recorded for audit: from an event or by an admin. */
export interface AttributeChange {
  readonly orgId: string;
  readonly attributes: AttributeValues;
  readonly previous: AttributeValues;
  /** When the change happened: the event's `occurred_at`, or the admin's request time. */
  readonly occurredAt: string;
  readonly changedAt: string;
  /** The admin's subject, or `event:<source>`. */
  readonly changedBy: string;
  readonly source: 'event' | 'admin';
  /** The request id, or the event id. */
  readonly requestId: string;
}

/** An attribute change in the API's and the table's spelling. */
export function attributeChangeFields(change: AttributeChange) {
  return {
    attributes: change.attributes,
    previous: change.previous,
    occurred_at: change.occurredAt,
    changed_at: change.changedAt,
    changed_by: change.changedBy,
    source: change.source,
    request_id: change.requestId,
  };
}
