import { describe, expect, it } from '@jest/globals';
import { orgCreatedDetailSchema } from '../../../lambdas/domain/event-schemas.js';
import { orgIdSchema, orgPathSchema } from '../../../lambdas/domain/schemas.js';
import { setFlagBodySchema } from '../../../lambdas/domain/write-schemas.js';

describe('orgIdSchema', () => {
  it.each([
    ['one character', 'a'],
    ['64 characters', 'x'.repeat(64)],
    ['letters of both cases, digits, dash and underscore', 'Acme_Corp-42'],
    ['digits only', '12345'],
    ['a leading dash', '-acme'],
  ])('accepts %s', (_label, orgId) => {
    expect(orgIdSchema.safeParse(orgId)).toEqual({ success: true, data: orgId });
  });

  it.each([
    ['an empty string', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a space', 'acme corp'],
    ['a slash', 'acme/corp'],
    ['a dot', 'acme.corp'],
    ['unicode letters', 'acmé'],
    ['a trailing newline', 'acme\n'],
    ['a leading newline', '\nacme'],
  ])('rejects %s', (_label, orgId) => {
    expect(orgIdSchema.safeParse(orgId).success).toBe(false);
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['acme']],
    ['an object', { id: 'acme' }],
  ])('rejects a non-string: %s', (_label, orgId) => {
    expect(orgIdSchema.safeParse(orgId).success).toBe(false);
  });

  it('applies to the org_id path parameter', () => {
    expect(orgPathSchema.safeParse({ org_id: 'acme' }).success).toBe(true);
    expect(orgPathSchema.safeParse({ org_id: 'acme corp' }).success).toBe(false);
    expect(orgPathSchema.safeParse({}).success).toBe(false);
  });
});

describe('setFlagBodySchema', () => {
  const body = { org_id: 'acme', key: 'chat', enabled: true };

  it('accepts org_id, key and enabled', () => {
    expect(setFlagBodySchema.parse(body)).toEqual(body);
  });

  it('accepts enabled: false', () => {
    expect(setFlagBodySchema.parse({ ...body, enabled: false })).toEqual({ ...body, enabled: false });
  });

  it('accepts an optional non-negative integer version', () => {
    expect(setFlagBodySchema.parse({ ...body, version: 0 })).toEqual({ ...body, version: 0 });
    expect(setFlagBodySchema.parse({ ...body, version: 1764577800000 })).toEqual({ ...body, version: 1764577800000 });
  });

  it('rejects fields it does not know', () => {
    expect(setFlagBodySchema.safeParse({ ...body, internal_only: true }).success).toBe(false);
    expect(setFlagBodySchema.safeParse({ ...body, source: 'admin' }).success).toBe(false);
  });

  it.each([
    ['the string "true"', 'true'],
    ['the string "false"', 'false'],
    ['the number 1', 1],
    ['the number 0', 0],
    ['null', null],
  ])('rejects enabled given as %s', (_label, enabled) => {
    expect(setFlagBodySchema.safeParse({ ...body, enabled }).success).toBe(false);
  });

  it.each(['org_id', 'key', 'enabled'])('rejects a body without %s', (field) => {
    const partial = Object.fromEntries(Object.entries(body).filter(([name]) => name !== field));
    expect(setFlagBodySchema.safeParse(partial).success).toBe(false);
  });

  it('rejects an empty or non-string key', () => {
    expect(setFlagBodySchema.safeParse({ ...body, key: '' }).success).toBe(false);
    expect(setFlagBodySchema.safeParse({ ...body, key: 5 }).success).toBe(false);
  });

  it('rejects an invalid org_id', () => {
    expect(setFlagBodySchema.safeParse({ ...body, org_id: 'acme/../globex' }).success).toBe(false);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '3'],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['null', null],
  ])('rejects a version that is %s', (_label, version) => {
    expect(setFlagBodySchema.safeParse({ ...body, version }).success).toBe(false);
  });

  it('names the offending field when enabled has the wrong type', () => {
    const result = setFlagBodySchema.safeParse({ ...body, enabled: 'true' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['enabled']);
  });
});

describe('orgCreatedDetailSchema', () => {
  it('requires org_id', () => {
    expect(orgCreatedDetailSchema.safeParse({ name: 'Acme' }).success).toBe(false);
  });

  it('rejects an invalid org_id', () => {
    expect(orgCreatedDetailSchema.safeParse({ org_id: 'acme corp' }).success).toBe(false);
    expect(orgCreatedDetailSchema.safeParse({ org_id: 42 }).success).toBe(false);
  });

  it('keeps fields other than org_id as they come', () => {
    const detail = {
      org_id: 'acme',
      name: 'Acme Inc.',
      plan: 'enterprise',
      seats: 5,
      owner: { email: 'a@example.com' },
    };
    expect(orgCreatedDetailSchema.parse(detail)).toEqual(detail);
  });
});
