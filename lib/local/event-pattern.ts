import type { EventPattern } from '../service/event-pattern.js';

type Scalar = string | number | boolean | null;

const ABSENT: Readonly<Record<string, unknown>> = Object.freeze({});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function collectLeafValues(value: unknown, out: Scalar[]): Scalar[] {
  if (Array.isArray(value)) {
    for (const element of value) collectLeafValues(element, out);
  } else if (isScalar(value)) {
    out.push(value);
  }
  return out;
}

function collectObjects(value: unknown, out: Record<string, unknown>[]): Record<string, unknown>[] {
  if (Array.isArray(value)) {
    for (const element of value) collectObjects(element, out);
  } else if (isPlainObject(value)) {
    out.push(value);
  }
  return out;
}

function lower(value: string): string {
  return value.toLowerCase();
}

function matchesStringOperand(
  value: Scalar,
  operand: unknown,
  test: (haystack: string, needle: string) => boolean,
): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (
    isPlainObject(operand) &&
    typeof operand['equals-ignore-case'] === 'string' &&
    Object.keys(operand).length === 1
  ) {
    return test(lower(value), lower(operand['equals-ignore-case']));
  }
  return false;
}

const startsWith = (haystack: string, needle: string): boolean => haystack.startsWith(needle);
const endsWith = (haystack: string, needle: string): boolean => haystack.endsWith(needle);

function compareNumeric(value: number, operator: unknown, operand: unknown): boolean {
  if (typeof operand !== 'number') return false;
  switch (operator) {
    case '=':
      return value === operand;
    case '>':
      return value > operand;
    case '>=':
      return value >= operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    default:
      return false;
  }
}

function matchesNumeric(value: Scalar, condition: unknown): boolean {
  if (typeof value !== 'number' || !Array.isArray(condition)) return false;
  if (condition.length !== 2 && condition.length !== 4) return false;
  for (let i = 0; i < condition.length; i += 2) {
    if (!compareNumeric(value, condition[i], condition[i + 1])) return false;
  }
  return true;
}

function matchesAnythingBut(value: Scalar, operand: unknown): boolean {
  if (typeof operand === 'string' || typeof operand === 'number') return value !== operand;
  if (Array.isArray(operand)) return !operand.some((excluded) => excluded === value);
  if (!isPlainObject(operand) || Object.keys(operand).length !== 1) return false;
  if (typeof value !== 'string') return false;
  if ('prefix' in operand) return typeof operand.prefix === 'string' && !value.startsWith(operand.prefix);
  if ('suffix' in operand) return typeof operand.suffix === 'string' && !value.endsWith(operand.suffix);
  if ('equals-ignore-case' in operand) {
    const excluded = operand['equals-ignore-case'];
    const list = Array.isArray(excluded) ? excluded : [excluded];
    if (list.length === 0 || !list.every((item) => typeof item === 'string')) return false;
    return !list.some((item: string) => lower(item) === lower(value));
  }
  return false;
}

function matchesFilter(value: Scalar, filter: Record<string, unknown>): boolean {
  const keys = Object.keys(filter);
  if (keys.length !== 1) return false;
  switch (keys[0]) {
    case 'prefix':
      return matchesStringOperand(value, filter.prefix, startsWith);
    case 'suffix':
      return matchesStringOperand(value, filter.suffix, endsWith);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof filter['equals-ignore-case'] === 'string'
        ? lower(value) === lower(filter['equals-ignore-case'])
        : false;
    case 'anything-but':
      return matchesAnythingBut(value, filter['anything-but']);
    case 'numeric':
      return matchesNumeric(value, filter.numeric);
    default:
      return false;
  }
}

function matchesLeaf(allowed: readonly unknown[], eventValue: unknown): boolean {
  const values = collectLeafValues(eventValue, []);
  return allowed.some((candidate) => {
    if (isPlainObject(candidate)) {
      if ('exists' in candidate && Object.keys(candidate).length === 1) {
        return candidate.exists === true ? values.length > 0 : candidate.exists === false && values.length === 0;
      }
      return values.some((value) => matchesFilter(value, candidate));
    }
    return values.some((value) => value === candidate);
  });
}

function matchesObject(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [field, expected] of Object.entries(pattern)) {
    const actual = Object.hasOwn(event, field) ? event[field] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, actual)) return false;
    } else if (isPlainObject(expected)) {
      const candidates = collectObjects(actual, []);
      const nested = candidates.length > 0 ? candidates : [ABSENT];
      if (!nested.some((candidate) => matchesObject(expected, candidate))) return false;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Tests an event against an Amazon EventBridge event pattern.
 *
 * Semantics follow EventBridge: every field named in the pattern must match
 * (fields the pattern does not name are ignored); a leaf matches when the
 * event's value equals any allowed value or satisfies any content filter; an
 * array in the event matches when any of its elements does; `exists` only
 * considers leaf values (an object or an empty array counts as absent).
 * Arrays of objects are matched element by element, so all fields of one
 * nested pattern must be satisfied by the same array element. `prefix`,
 * `suffix`, `equals-ignore-case`, and the object forms of `anything-but` only
 * match string values; `numeric` only matches JSON numbers. Malformed
 * patterns never throw: the malformed part simply does not match (check
 * patterns with {@link validateEventPattern}).
 */
export function matchesEventPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return matchesObject(pattern, event);
}

const NUMERIC_OPERATORS = new Set<unknown>(['=', '>', '>=', '<', '<=']);
const LOWER_BOUNDS = new Set<unknown>(['>', '>=']);
const UPPER_BOUNDS = new Set<unknown>(['<', '<=']);

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function validateStringOperand(operand: unknown, where: string, operator: string): string[] {
  if (typeof operand === 'string') return [];
  if (
    isPlainObject(operand) &&
    Object.keys(operand).length === 1 &&
    typeof operand['equals-ignore-case'] === 'string'
  ) {
    return [];
  }
  return [`${where}: "${operator}" must be a string or { "equals-ignore-case": string }`];
}

function validateNumeric(condition: unknown, where: string): string[] {
  if (!Array.isArray(condition) || (condition.length !== 2 && condition.length !== 4)) {
    return [`${where}: "numeric" must be an array of one or two [operator, number] pairs`];
  }
  const problems: string[] = [];
  for (let i = 0; i < condition.length; i += 2) {
    if (!NUMERIC_OPERATORS.has(condition[i])) {
      problems.push(`${where}: unknown numeric operator ${describe(condition[i])}`);
    }
    const operand: unknown = condition[i + 1];
    if (typeof operand !== 'number' || !Number.isFinite(operand)) {
      problems.push(`${where}: numeric operand ${describe(operand)} must be a finite number`);
    }
  }
  if (problems.length > 0 || condition.length === 2) return problems;
  const [lowOp, low, highOp, high] = condition as [unknown, number, unknown, number];
  if (!LOWER_BOUNDS.has(lowOp) || !UPPER_BOUNDS.has(highOp)) {
    return [
      `${where}: a two-part numeric range must be a lower bound (">" or ">=") followed by an upper bound ("<" or "<=")`,
    ];
  }
  if (low >= high) return [`${where}: numeric range lower bound ${low} must be below upper bound ${high}`];
  return [];
}

function validateAnythingBut(operand: unknown, where: string): string[] {
  if (typeof operand === 'string') return [];
  if (typeof operand === 'number') {
    return Number.isFinite(operand) ? [] : [`${where}: "anything-but" number must be finite`];
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) return [`${where}: "anything-but" list must not be empty`];
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number' && Number.isFinite(item));
    return allStrings || allNumbers ? [] : [`${where}: "anything-but" list must contain only strings or only numbers`];
  }
  if (isPlainObject(operand) && Object.keys(operand).length === 1) {
    const [key] = Object.keys(operand);
    const inner = operand[key as string];
    if (key === 'prefix' || key === 'suffix') {
      return typeof inner === 'string' ? [] : [`${where}: "anything-but" "${key}" must be a string`];
    }
    if (key === 'equals-ignore-case') {
      const ok =
        typeof inner === 'string' ||
        (Array.isArray(inner) && inner.length > 0 && inner.every((item) => typeof item === 'string'));
      return ok
        ? []
        : [`${where}: "anything-but" "equals-ignore-case" must be a string or a non-empty list of strings`];
    }
  }
  return [
    `${where}: "anything-but" must be a string, a number, a list of strings or numbers, or { "prefix" | "suffix" | "equals-ignore-case": ... }`,
  ];
}

function validateFilter(filter: Record<string, unknown>, where: string): string[] {
  const keys = Object.keys(filter);
  if (keys.length !== 1) {
    return [`${where}: a content filter must have exactly one operator, got ${describe(keys)}`];
  }
  const operator = keys[0] as string;
  const operand = filter[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return validateStringOperand(operand, where, operator);
    case 'equals-ignore-case':
      return typeof operand === 'string' ? [] : [`${where}: "equals-ignore-case" must be a string`];
    case 'exists':
      return typeof operand === 'boolean' ? [] : [`${where}: "exists" must be true or false`];
    case 'numeric':
      return validateNumeric(operand, where);
    case 'anything-but':
      return validateAnythingBut(operand, where);
    default:
      return [`${where}: unsupported content filter "${operator}"`];
  }
}

function validateLeaf(values: readonly unknown[], path: string): string[] {
  if (values.length === 0) return [`${path}: array of allowed values must not be empty`];
  const problems: string[] = [];
  values.forEach((value, index) => {
    const where = `${path}[${index}]`;
    if (isPlainObject(value)) {
      problems.push(...validateFilter(value, where));
    } else if (typeof value === 'number' && !Number.isFinite(value)) {
      problems.push(`${where}: number must be finite`);
    } else if (!isScalar(value)) {
      problems.push(`${where}: allowed value must be a string, number, boolean, null or content filter object`);
    }
  });
  return problems;
}

function validateObject(pattern: Record<string, unknown>, path: string): string[] {
  const entries = Object.entries(pattern);
  if (entries.length === 0) return [`${path || '(root)'}: pattern object must name at least one field`];
  const problems: string[] = [];
  for (const [field, value] of entries) {
    const fieldPath = path ? `${path}.${field}` : field;
    if (field === '$or') {
      problems.push(`${fieldPath}: "$or" is not supported by the local matcher`);
    } else if (Array.isArray(value)) {
      problems.push(...validateLeaf(value, fieldPath));
    } else if (isPlainObject(value)) {
      problems.push(...validateObject(value, fieldPath));
    } else {
      problems.push(`${fieldPath}: leaf value must be an array of allowed values, got ${describe(value)}`);
    }
  }
  return problems;
}

/**
 * Checks that a value is a well-formed event pattern and returns a list of
 * human-readable problems (empty when the pattern is valid). Each problem is
 * prefixed with the dotted path of the offending field, e.g.
 * `detail.state: leaf value must be an array of allowed values, got "on"`.
 */
export function validateEventPattern(pattern: unknown): string[] {
  if (!isPlainObject(pattern)) return [`(root): event pattern must be a JSON object, got ${describe(pattern)}`];
  return validateObject(pattern, '');
}
