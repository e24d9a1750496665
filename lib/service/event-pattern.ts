/*
 * The shape of an Amazon EventBridge event pattern, as the declarations of lib/service write their
 * rules and stream filters. lib/local/event-pattern.ts matches events against them locally.
 */

/** Comparison operators accepted inside a `numeric` content filter. */
export type NumericOperator = '=' | '>' | '>=' | '<' | '<=';

/**
 * Operand of a `numeric` filter: `['=', 5]`, a single bound such as `['<', 10]`,
 * or a lower bound followed by an upper bound such as `['>', 0, '<=', 5]`.
 */
export type NumericCondition =
  readonly [NumericOperator, number] | readonly [NumericOperator, number, NumericOperator, number];

/** A string operand, optionally compared case-insensitively. */
export type StringOperand = string | { readonly 'equals-ignore-case': string };

/** Operand of an `anything-but` filter. */
export type AnythingButOperand =
  | string
  | number
  | readonly string[]
  | readonly number[]
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'equals-ignore-case': string | readonly string[] };

/** A content filter object appearing in a pattern's array of allowed values. */
export type ContentFilter =
  | { readonly prefix: StringOperand }
  | { readonly suffix: StringOperand }
  | { readonly 'anything-but': AnythingButOperand }
  | { readonly exists: boolean }
  | { readonly numeric: NumericCondition }
  | { readonly 'equals-ignore-case': string };

/** One allowed value at a pattern leaf: an exact JSON scalar or a content filter. */
export type PatternValue = string | number | boolean | null | ContentFilter;

/**
 * An Amazon EventBridge event pattern: every key is either a nested pattern
 * (matched against the event's object at that key) or a non-empty array of
 * allowed values (matched against the event's leaf value at that key).
 */
export type EventPattern = { [field: string]: EventPattern | readonly PatternValue[] };
