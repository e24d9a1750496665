import { z } from 'zod';

export const FLAG_KEY_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const isoDate = z
  .string()
  .regex(ISO_DATE, 'must be an ISO date (YYYY-MM-DD)')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'must be a real calendar date');

export const flagKeySchema = z
  .string()
  .min(1)
  .max(64)
  .regex(FLAG_KEY_PATTERN, 'must be lowercase kebab-case (a-z, 0-9, single dashes)');

const flagBase = z.object({
  key: flagKeySchema,
  description: z.string().trim().min(1, 'description is required'),
  default_enabled: z.boolean(),
  internal_only: z.boolean(),
  owner: z.string().trim().min(1, 'owner is required'),
  created: isoDate,
});

/** A flag is either temporary, with a date by which it should be gone, or marked permanent. */
export const flagDefinitionSchema = z.union([
  flagBase.extend({ cleanup_after: isoDate, permanent: z.literal(false).optional() }).strict(),
  flagBase.extend({ permanent: z.literal(true), cleanup_after: z.undefined().optional() }).strict(),
]);

export const retiredFlagSchema = z
  .object({
    key: flagKeySchema,
    retired: isoDate,
    reason: z.string().trim().min(1, 'reason is required'),
  })
  .strict();

/** One flag of the registry, as written in `registry/flags.ts`. */
export type FlagDefinition = z.infer<typeof flagDefinitionSchema>;

/** A key that once was a flag: kept so that it is never reused and its rows can be cleaned. */
export type RetiredFlag = z.infer<typeof retiredFlagSchema>;
