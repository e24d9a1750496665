import { z } from 'zod';

/** An org id: 1–64 letters, digits, `-` and `_`. */
export const orgIdSchema = z
  .string({ error: 'org_id must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'org_id must be 1-64 characters of letters, digits, - and _');

export const orgPathSchema = z.object({ org_id: orgIdSchema });

/** Body of `POST /org-feature-flags`. `version`, when given, must equal the row's current version. */
export const setFlagBodySchema = z
  .object({
    org_id: orgIdSchema,
    key: z.string({ error: 'key must be a string' }).min(1, 'key is required'),
    enabled: z.boolean({ error: 'enabled must be a boolean' }),
    version: z.number().int().nonnegative().optional(),
  })
  .strict();

export type SetFlagBody = z.infer<typeof setFlagBodySchema>;

/** `detail` of an `OrgCreated` event: only `org_id` is required; other fields are kept as they come. */
export const orgCreatedDetailSchema = z.looseObject({ org_id: orgIdSchema });

export type OrgCreatedDetail = z.infer<typeof orgCreatedDetailSchema>;
