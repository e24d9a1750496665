import * as z from 'zod/mini';
import './zod-locale.js';

export const FLAG_KEY_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const isoDate = z.string().check(
  z.regex(ISO_DATE, 'must be an ISO date (YYYY-MM-DD)'),
  z.refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, 'must be a real calendar date'),
);

export const flagKeySchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(FLAG_KEY_PATTERN, 'must be lowercase kebab-case (a-z, 0-9, single dashes)'),
  );

/** A flag is either temporary, with a date by which it should be gone, or marked permanent. */
export const flagDefinitionSchema = z
  .strictObject({
    key: flagKeySchema,
    description: z
      .string({ error: 'description is required' })
      .check(z.trim(), z.minLength(1, 'description is required')),
    default_enabled: z.boolean({ error: 'default_enabled must be true or false' }),
    internal_only: z.boolean({ error: 'internal_only must be true or false' }),
    owner: z.string({ error: 'owner is required' }).check(z.trim(), z.minLength(1, 'owner is required')),
    created: isoDate,
    cleanup_after: z.optional(isoDate),
    permanent: z.optional(z.literal(true, { error: 'permanent may only be true' })),
  })
  .check(
    z.superRefine((flag, context) => {
      if (flag.cleanup_after === undefined && flag.permanent === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['cleanup_after'],
          message: 'a temporary flag needs cleanup_after; otherwise set permanent: true',
        });
      }
      if (flag.cleanup_after !== undefined && flag.permanent !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['permanent'],
          message: 'set either cleanup_after or permanent: true, not both',
        });
      }
    }),
  );

export const retiredFlagSchema = z.strictObject({
  key: flagKeySchema,
  retired: isoDate,
  reason: z.string().check(z.trim(), z.minLength(1, 'reason is required')),
});

/** One flag of the registry, as written in `registry/flags.ts`. */
export type FlagDefinition = z.infer<typeof flagDefinitionSchema>;

/** A key that once was a flag: kept so that it is never reused and its rows can be cleaned. */
export type RetiredFlag = z.infer<typeof retiredFlagSchema>;
