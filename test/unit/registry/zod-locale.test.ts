import { describe, expect, it } from '@jest/globals';
import { flagKeySchema } from '../../../registry/schema.js';
import { setFlagBodySchema } from '../../../lambdas/domain/write-schemas.js';

// zod/mini words nothing itself ("Invalid input" for every issue) unless a locale is configured:
// the messages zod words must read as they did with classic zod. This file loads no classic zod,
// which would configure English by itself.
describe("zod's own messages", () => {
  it('name an unknown field and a wrong type in a request body', () => {
    const result = setFlagBodySchema.safeParse({
      org_id: 'acme',
      key: 'chat',
      enabled: true,
      version: 'one',
      colour: 'red',
    });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'Invalid input: expected number, received string',
      'Unrecognized key: "colour"',
    ]);
  });

  it('name the bound a registry key breaks', () => {
    expect(flagKeySchema.safeParse('a'.repeat(65)).error?.issues.map((issue) => issue.message)).toEqual([
      'Too big: expected string to have <=64 characters',
    ]);
  });
});
