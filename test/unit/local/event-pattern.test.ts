import { describe, expect, it } from '@jest/globals';
import { matchesEventPattern, validateEventPattern } from '../../../lib/local/event-pattern.js';
import type { EventPattern } from '../../../lib/service/event-pattern.js';

const event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'OrgCreated',
  source: 'org-service',
  account: '123456789012',
  time: '2026-11-22T19:30:45Z',
  region: 'eu-west-1',
  resources: ['arn:aws:iam::123456789012:root', 'arn:aws:s3:::bucket'],
  detail: {
    orgId: 'org-42',
    plan: 'Enterprise',
    seats: 5,
    price: 301.8,
    trial: false,
    parentOrgId: null,
    note: '',
    tags: ['beta', 'eu'],
    counts: [100, 5, 200],
    empty: [],
    owner: { email: 'a@example.com', verified: true },
    members: [
      { name: 'alice', role: 'admin' },
      { name: 'bob', role: 'viewer' },
    ],
  },
};

const matches = (pattern: EventPattern, target: Record<string, unknown> = event): boolean =>
  matchesEventPattern(pattern, target);

describe('matchesEventPattern', () => {
  describe('structure', () => {
    it('matches when every named field matches and ignores fields the pattern omits', () => {
      expect(matches({ source: ['org-service'], 'detail-type': ['OrgCreated'] })).toBe(true);
    });

    it('fails when any one named field does not match', () => {
      expect(matches({ source: ['org-service'], 'detail-type': ['OrgDeleted'] })).toBe(false);
    });

    it('matches nested fields', () => {
      expect(matches({ detail: { owner: { email: ['a@example.com'], verified: [true] } } })).toBe(true);
      expect(matches({ detail: { owner: { email: ['b@example.com'] } } })).toBe(false);
    });

    it('fails when a nested object in the pattern is absent or a scalar in the event', () => {
      expect(matches({ detail: { missing: { x: ['1'] } } })).toBe(false);
      expect(matches({ detail: { orgId: { x: ['1'] } } })).toBe(false);
    });

    it('fails when a leaf in the pattern is an object in the event', () => {
      expect(matches({ detail: { owner: ['a@example.com'] } })).toBe(false);
    });

    it('fails when the field is missing from the event', () => {
      expect(matches({ detail: { region: ['eu'] } })).toBe(false);
    });

    it('matches an object pattern against an array of objects element by element', () => {
      expect(matches({ detail: { members: { name: ['alice'], role: ['admin'] } } })).toBe(true);
      expect(matches({ detail: { members: { name: ['bob'] } } })).toBe(true);
      expect(matches({ detail: { members: { name: ['alice'], role: ['viewer'] } } })).toBe(false);
    });
  });

  describe('exact values', () => {
    it('matches if the event value equals any allowed value', () => {
      expect(matches({ detail: { plan: ['Free', 'Enterprise'] } })).toBe(true);
      expect(matches({ detail: { plan: ['Free', 'Pro'] } })).toBe(false);
    });

    it('is case-sensitive and type-sensitive', () => {
      expect(matches({ detail: { plan: ['enterprise'] } })).toBe(false);
      expect(matches({ detail: { seats: ['5'] } })).toBe(false);
      expect(matches({ detail: { trial: ['false'] } })).toBe(false);
    });

    it('matches numbers numerically', () => {
      expect(matches({ detail: { seats: [5] } })).toBe(true);
      expect(matches({ detail: { price: [3.018e2] } })).toBe(true);
      expect(matches({ detail: { seats: [6] } })).toBe(false);
    });

    it('matches booleans', () => {
      expect(matches({ detail: { trial: [false] } })).toBe(true);
      expect(matches({ detail: { trial: [true] } })).toBe(false);
    });

    it('matches null and the empty string without treating them as interchangeable', () => {
      expect(matches({ detail: { parentOrgId: [null] } })).toBe(true);
      expect(matches({ detail: { note: [''] } })).toBe(true);
      expect(matches({ detail: { parentOrgId: [''] } })).toBe(false);
      expect(matches({ detail: { note: [null] } })).toBe(false);
      expect(matches({ detail: { missing: [null] } })).toBe(false);
    });
  });

  describe('array event values', () => {
    it('matches when any element equals any allowed value', () => {
      expect(matches({ resources: ['arn:aws:s3:::bucket'] })).toBe(true);
      expect(matches({ detail: { tags: ['eu', 'us'] } })).toBe(true);
      expect(matches({ detail: { tags: ['us'] } })).toBe(false);
    });

    it('applies content filters to each element', () => {
      expect(matches({ detail: { counts: [{ numeric: ['>', 0, '<', 10] }] } })).toBe(true);
      expect(matches({ detail: { counts: [{ numeric: ['>', 500] }] } })).toBe(false);
      expect(matches({ detail: { tags: [{ prefix: 'be' }] } })).toBe(true);
    });

    it('never matches a value filter against an empty array', () => {
      expect(matches({ detail: { empty: [{ 'anything-but': 'x' }] } })).toBe(false);
    });
  });

  describe('prefix', () => {
    it('matches strings starting with the prefix', () => {
      expect(matches({ time: [{ prefix: '2026-11-22' }] })).toBe(true);
    });

    it('does not match other strings or non-strings', () => {
      expect(matches({ time: [{ prefix: '2025-' }] })).toBe(false);
      expect(matches({ detail: { seats: [{ prefix: '5' }] } })).toBe(false);
    });

    it('supports equals-ignore-case', () => {
      expect(matches({ detail: { plan: [{ prefix: { 'equals-ignore-case': 'ENTER' } }] } })).toBe(true);
      expect(matches({ detail: { plan: [{ prefix: { 'equals-ignore-case': 'free' } }] } })).toBe(false);
    });
  });

  describe('suffix', () => {
    it('matches strings ending with the suffix', () => {
      expect(matches({ detail: { owner: { email: [{ suffix: '@example.com' }] } } })).toBe(true);
    });

    it('does not match other strings', () => {
      expect(matches({ detail: { owner: { email: [{ suffix: '@example.org' }] } } })).toBe(false);
    });

    it('supports equals-ignore-case', () => {
      expect(matches({ detail: { owner: { email: [{ suffix: { 'equals-ignore-case': '@EXAMPLE.COM' } }] } } })).toBe(
        true,
      );
    });
  });

  describe('equals-ignore-case', () => {
    it('matches regardless of case', () => {
      expect(matches({ detail: { plan: [{ 'equals-ignore-case': 'ENTERPRISE' }] } })).toBe(true);
    });

    it('does not match a different string or a non-string', () => {
      expect(matches({ detail: { plan: [{ 'equals-ignore-case': 'enterprises' }] } })).toBe(false);
      expect(matches({ detail: { seats: [{ 'equals-ignore-case': '5' }] } })).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any value other than a single string or number', () => {
      expect(matches({ detail: { plan: [{ 'anything-but': 'Free' }] } })).toBe(true);
      expect(matches({ detail: { plan: [{ 'anything-but': 'Enterprise' }] } })).toBe(false);
      expect(matches({ detail: { seats: [{ 'anything-but': 4 }] } })).toBe(true);
      expect(matches({ detail: { seats: [{ 'anything-but': 5 }] } })).toBe(false);
    });

    it('matches any value outside a list', () => {
      expect(matches({ detail: { plan: [{ 'anything-but': ['Free', 'Pro'] }] } })).toBe(true);
      expect(matches({ detail: { plan: [{ 'anything-but': ['Free', 'Enterprise'] }] } })).toBe(false);
      expect(matches({ detail: { seats: [{ 'anything-but': [100, 200] }] } })).toBe(true);
      expect(matches({ detail: { seats: [{ 'anything-but': [5, 6] }] } })).toBe(false);
    });

    it('supports prefix, suffix and equals-ignore-case', () => {
      expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(true);
      expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] })).toBe(false);
      expect(matches({ region: [{ 'anything-but': { suffix: '-2' } }] })).toBe(true);
      expect(matches({ region: [{ 'anything-but': { suffix: '-1' } }] })).toBe(false);
      expect(matches({ detail: { plan: [{ 'anything-but': { 'equals-ignore-case': 'free' } }] } })).toBe(true);
      expect(
        matches({ detail: { plan: [{ 'anything-but': { 'equals-ignore-case': ['free', 'ENTERPRISE'] } }] } }),
      ).toBe(false);
    });

    it('requires the field to be present', () => {
      expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
    });

    it('matches an array when any element is not excluded', () => {
      expect(matches({ detail: { tags: [{ 'anything-but': 'beta' }] } })).toBe(true);
      expect(matches({ detail: { tags: [{ 'anything-but': ['beta', 'eu'] }] } })).toBe(false);
    });
  });

  describe('exists', () => {
    it('exists: true matches present leaf values, including null and non-empty arrays', () => {
      expect(matches({ detail: { orgId: [{ exists: true }] } })).toBe(true);
      expect(matches({ detail: { parentOrgId: [{ exists: true }] } })).toBe(true);
      expect(matches({ detail: { tags: [{ exists: true }] } })).toBe(true);
    });

    it('exists: true does not match absent fields, intermediate objects or empty arrays', () => {
      expect(matches({ detail: { missing: [{ exists: true }] } })).toBe(false);
      expect(matches({ detail: { owner: [{ exists: true }] } })).toBe(false);
      expect(matches({ detail: { empty: [{ exists: true }] } })).toBe(false);
    });

    it('exists: false matches absent fields, intermediate objects and empty arrays', () => {
      expect(matches({ detail: { missing: [{ exists: false }] } })).toBe(true);
      expect(matches({ detail: { owner: [{ exists: false }] } })).toBe(true);
      expect(matches({ detail: { empty: [{ exists: false }] } })).toBe(true);
    });

    it('exists: false matches when a parent object is missing entirely', () => {
      expect(matches({ detail: { billing: { customerId: [{ exists: false }] } } })).toBe(true);
      expect(matches({ detail: { billing: { customerId: [{ exists: true }] } } })).toBe(false);
    });

    it('exists: false does not match present fields', () => {
      expect(matches({ detail: { orgId: [{ exists: false }] } })).toBe(false);
      expect(matches({ detail: { note: [{ exists: false }] } })).toBe(false);
    });
  });

  describe('numeric', () => {
    it('matches within a two-sided range', () => {
      expect(matches({ detail: { seats: [{ numeric: ['>', 0, '<=', 5] }] } })).toBe(true);
      expect(matches({ detail: { seats: [{ numeric: ['>', 0, '<', 5] }] } })).toBe(false);
      expect(matches({ detail: { seats: [{ numeric: ['>=', 5, '<', 10] }] } })).toBe(true);
      expect(matches({ detail: { seats: [{ numeric: ['>', 5, '<', 10] }] } })).toBe(false);
    });

    it('supports single bounds and equality', () => {
      expect(matches({ detail: { seats: [{ numeric: ['<', 10] }] } })).toBe(true);
      expect(matches({ detail: { seats: [{ numeric: ['>=', 6] }] } })).toBe(false);
      expect(matches({ detail: { price: [{ numeric: ['=', 301.8] }] } })).toBe(true);
      expect(matches({ detail: { price: [{ numeric: ['=', 301] }] } })).toBe(false);
    });

    it('only matches JSON numbers', () => {
      expect(matches({ detail: { seats: [{ numeric: ['>', 0] }] } }, { detail: { seats: '5' } })).toBe(false);
      expect(matches({ detail: { missing: [{ numeric: ['>', 0] }] } })).toBe(false);
    });
  });

  describe('combinations', () => {
    it('ORs the allowed values of one field', () => {
      expect(matches({ detail: { plan: ['Free', { prefix: 'Ent' }] } })).toBe(true);
      expect(matches({ detail: { plan: [{ exists: false }, 'Free'] } })).toBe(false);
    });

    it('ANDs fields across levels', () => {
      const pattern: EventPattern = {
        source: ['org-service'],
        'detail-type': ['OrgCreated'],
        detail: {
          plan: [{ 'anything-but': 'Free' }],
          seats: [{ numeric: ['>', 0, '<=', 5] }],
          tags: ['eu'],
          deletedAt: [{ exists: false }],
        },
      };
      expect(matches(pattern)).toBe(true);
      expect(matches(pattern, { ...event, detail: { ...event.detail, seats: 50 } })).toBe(false);
    });
  });
});

describe('validateEventPattern', () => {
  it('accepts well-formed patterns using every supported operator', () => {
    expect(
      validateEventPattern({
        source: ['org-service'],
        detail: {
          a: ['x', 1, true, null],
          b: [{ prefix: 'p' }, { prefix: { 'equals-ignore-case': 'P' } }],
          c: [{ suffix: 's' }, { suffix: { 'equals-ignore-case': 'S' } }],
          d: [
            { 'anything-but': 'x' },
            { 'anything-but': 1 },
            { 'anything-but': ['x', 'y'] },
            { 'anything-but': [1, 2] },
          ],
          e: [{ 'anything-but': { prefix: 'x' } }, { 'anything-but': { suffix: 'x' } }],
          f: [{ 'anything-but': { 'equals-ignore-case': ['x'] } }],
          g: [{ exists: true }, { exists: false }],
          h: [{ numeric: ['>', 0, '<=', 5] }, { numeric: ['=', 3] }, { numeric: ['<', 1] }],
          i: [{ 'equals-ignore-case': 'x' }],
        },
      }),
    ).toEqual([]);
  });

  it('reports a leaf that is not an array', () => {
    expect(validateEventPattern({ source: 'org-service', detail: { state: 1 } })).toEqual([
      'source: leaf value must be an array of allowed values, got "org-service"',
      'detail.state: leaf value must be an array of allowed values, got 1',
    ]);
  });

  it('reports a pattern that is not an object, and empty objects or arrays', () => {
    expect(validateEventPattern(['x'])).toHaveLength(1);
    expect(validateEventPattern(null)).toHaveLength(1);
    expect(validateEventPattern({})).toEqual(['(root): pattern object must name at least one field']);
    expect(validateEventPattern({ detail: {} })).toEqual(['detail: pattern object must name at least one field']);
    expect(validateEventPattern({ source: [] })).toEqual(['source: array of allowed values must not be empty']);
  });

  it('reports malformed content filters', () => {
    const problems = validateEventPattern({
      a: [{ prefix: 1 }],
      b: [{ exists: 'yes' }],
      c: [{ numeric: ['>', 'one'] }],
      d: [{ numeric: ['<', 5, '>', 0] }],
      e: [{ numeric: ['>', 5, '<', 1] }],
      f: [{ 'anything-but': ['x', 1] }],
      g: [{ wildcard: '*' }],
      h: [{ prefix: 'a', suffix: 'b' }],
      i: [['nested']],
      j: [{ numeric: ['>', 0, '<'] }],
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'a[0]',
      'b[0]',
      'c[0]',
      'd[0]',
      'e[0]',
      'f[0]',
      'g[0]',
      'h[0]',
      'i[0]',
      'j[0]',
    ]);
  });

  it('reports $or as unsupported', () => {
    expect(validateEventPattern({ $or: [{ a: ['x'] }, { b: ['y'] }] })).toEqual([
      '$or: "$or" is not supported by the local matcher',
    ]);
  });
});
