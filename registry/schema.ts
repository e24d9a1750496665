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

/** An org attribute's name: snake_case, as it appears in events, the API and `GET /orgs` filters. */
export const ORG_ATTRIBUTE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/** Names the org events and `GET /orgs` use themselves, so no attribute may take them. */
export const RESERVED_ORG_ATTRIBUTE_NAMES: readonly string[] = [
  'org_id',
  'attributes',
  'occurred_at',
  'prefix',
  'limit',
  'cursor',
  'created_before',
  'created_after',
];

/** One allowed value of an `enum` attribute. */
export const ORG_ATTRIBUTE_VALUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const attributeName = z.string().check(
  z.regex(ORG_ATTRIBUTE_NAME_PATTERN, 'must be snake_case (a-z, 0-9, _), 1–32 characters, starting with a letter'),
  z.refine((name) => !RESERVED_ORG_ATTRIBUTE_NAMES.includes(name), 'is reserved'),
);
const attributeDescription = z
  .string({ error: 'description is required' })
  .check(z.trim(), z.minLength(1, 'description is required'));

/** What the service knows of an org besides its id: one declared attribute. */
export const orgAttributeDefinitionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name: attributeName,
    type: z.literal('enum'),
    values: z
      .array(z.string().check(z.regex(ORG_ATTRIBUTE_VALUE_PATTERN, 'must be 1–64 letters, digits, _ . -')))
      .check(
        z.minLength(1, 'an enum needs at least one value'),
        z.refine((values) => new Set(values).size === values.length, 'values must be unique'),
      ),
    description: attributeDescription,
  }),
  z.strictObject({ name: attributeName, type: z.literal('string'), description: attributeDescription }),
  z.strictObject({ name: attributeName, type: z.literal('date'), description: attributeDescription }),
]);

/** One org attribute, as declared in `registry/org-attributes.ts`. */
export type OrgAttributeDefinition = z.infer<typeof orgAttributeDefinitionSchema>;
