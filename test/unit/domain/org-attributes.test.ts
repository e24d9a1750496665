import { describe, expect, it } from '@jest/globals';
import { buildRegistry } from '../../../registry/index.js';
import {
  attributeValueProblem,
  matchesAttributes,
  patchAttributes,
  readAttributes,
} from '../../../lambdas/domain/org-attributes.js';
import { FLAGS } from '../../../registry/flags.js';
import { RETIRED } from '../../../registry/retired.js';

const declared = buildRegistry(FLAGS, RETIRED, '2026-12-01', undefined, [
  { name: 'plan', type: 'enum', values: ['free', 'pro', 'enterprise'], description: 'Plan.' },
  { name: 'account_manager', type: 'string', description: 'Who looks after the org.' },
  { name: 'contract_end', type: 'date', description: 'When the contract ends.' },
]).orgAttributes;

describe('attribute values against their declaration', () => {
  it('takes an enum value only from its list, a string of 1–256 characters, a real calendar date', () => {
    const [plan, manager, end] = declared.definitions;
    expect(attributeValueProblem(plan!, 'pro')).toBeUndefined();
    expect(attributeValueProblem(plan!, 'Pro')).toBe('must be one of free, pro, enterprise');
    expect(attributeValueProblem(plan!, 3)).toBe('must be a string');
    expect(attributeValueProblem(manager!, 'Ada')).toBeUndefined();
    expect(attributeValueProblem(manager!, '')).toBe('must be 1–256 characters');
    expect(attributeValueProblem(manager!, 'x'.repeat(257))).toBe('must be 1–256 characters');
    expect(attributeValueProblem(end!, '2027-02-28')).toBeUndefined();
    expect(attributeValueProblem(end!, '2027-02-30')).toBe('must be a date (YYYY-MM-DD)');
    expect(attributeValueProblem(end!, '2027-02-28T00:00:00Z')).toBe('must be a date (YYYY-MM-DD)');
  });

  it('reads the declared, valid fields of an event and names every other with its reason', () => {
    expect(readAttributes(declared, { plan: 'pro', name: 'Acme', contract_end: 'soon' })).toEqual({
      values: { plan: 'pro' },
      ignored: ['name: not a declared org attribute', 'contract_end: must be a date (YYYY-MM-DD)'],
    });
    expect(readAttributes(declared, { plan: null })).toEqual({ values: {}, ignored: ['plan: must be a string'] });
    expect(readAttributes(declared, { plan: null }, { removals: true })).toEqual({
      values: { plan: null },
      ignored: [],
    });
  });

  it('patches: sets the named, unsets those given null, keeps the rest, in name order', () => {
    expect(
      Object.entries(patchAttributes({ plan: 'free', region: 'eu' }, { region: null, account_manager: 'Ada' })),
    ).toEqual([
      ['account_manager', 'Ada'],
      ['plan', 'free'],
    ]);
  });

  it('filters: every named attribute must hold one of its values; an org without it does not match', () => {
    expect(matchesAttributes({ plan: 'pro', region: 'eu' }, { plan: ['pro', 'enterprise'], region: ['eu'] })).toBe(
      true,
    );
    expect(matchesAttributes({ plan: 'pro' }, { plan: ['pro'], region: ['eu'] })).toBe(false);
    expect(matchesAttributes(undefined, { plan: ['pro'] })).toBe(false);
    expect(matchesAttributes(undefined, {})).toBe(true);
  });
});
