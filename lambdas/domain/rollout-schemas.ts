import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { ORG_ATTRIBUTES } from '../../registry/org-attributes.js';
import { attributeValueSchema } from './org-attribute-schemas.js';
import { ROLLOUT_ID_PATTERN, ROLLOUT_STATUSES } from './rollouts.js';
import { orgIdSchema } from './schemas.js';

/** The most org ids an audience may name (in `org_ids` and in `exclude_org_ids`, each). */
export const MAX_AUDIENCE_ORG_IDS = 10_000;
/** The largest body of `POST /rollouts` and `PATCH /rollouts/{rollout_id}`: an audience may name 10,000 org ids. */
export const MAX_ROLLOUT_BODY_BYTES = 1024 * 1024;
/** The most steps a rollout may have. */
export const MAX_ROLLOUT_STEPS = 20;

const instant = (name: string) =>
  z.iso.datetime({ offset: true, error: `${name} must be an ISO 8601 date-time, e.g. 2026-12-14T09:00:00Z` });

const orgIdList = (name: string) =>
  z.array(orgIdSchema, { error: `${name} must be an array of org ids` }).check(
    z.maxLength(MAX_AUDIENCE_ORG_IDS, `${name} may name at most ${MAX_AUDIENCE_ORG_IDS} orgs`),
    z.refine((ids) => new Set(ids).size === ids.length, `${name} must not repeat an org`),
  );

/** `audience` of a rollout: every condition given must hold; none given is every org. */
export const audienceSchema = z.strictObject({
  attributes: z.optional(
    z.strictObject(
      Object.fromEntries(
        ORG_ATTRIBUTES.map((definition) => [
          definition.name,
          z.optional(
            z
              .array(attributeValueSchema(definition))
              .check(z.minLength(1, `attributes.${definition.name} must name at least one value`)),
          ),
        ]),
      ),
    ),
  ),
  created_before: z.optional(instant('created_before')),
  created_after: z.optional(instant('created_after')),
  org_ids: z.optional(orgIdList('org_ids')),
  exclude_org_ids: z.optional(orgIdList('exclude_org_ids')),
});

const stepSchema = z.strictObject({
  percent: z
    .number({ error: 'percent must be a number' })
    .check(
      z.int('percent must be a whole number'),
      z.minimum(1, 'percent must be 1-100'),
      z.maximum(100, 'percent must be 1-100'),
    ),
  at: z.optional(instant('at')),
});

const stepsSchema = z.array(stepSchema, { error: 'steps must be an array of steps' }).check(
  z.minLength(1, 'steps must hold at least one step'),
  z.maxLength(MAX_ROLLOUT_STEPS, `steps may hold at most ${MAX_ROLLOUT_STEPS} steps`),
  z.refine(
    (steps) => steps.every((step, index) => index === 0 || step.percent > steps[index - 1]!.percent),
    'step percentages must be strictly increasing',
  ),
);

const definitionFields = {
  key: z.string({ error: 'key must be a string' }).check(z.minLength(1, 'key is required'), z.maxLength(128)),
  enabled: z.boolean({ error: 'enabled must be a boolean' }),
  audience: z._default(audienceSchema, {}),
  steps: stepsSchema,
  overrides: z._default(z.enum(['keep', 'include'], { error: 'overrides must be keep or include' }), 'keep'),
  continuous: z._default(z.boolean({ error: 'continuous must be a boolean' }), false),
  on_leave: z._default(z.enum(['keep', 'revert'], { error: 'on_leave must be keep or revert' }), 'keep'),
  note: z.optional(
    z.string({ error: 'note must be a string' }).check(z.maxLength(1000, 'note must be at most 1000 characters')),
  ),
};

/** Body of `POST /rollouts`: one flag set to one value for an audience, in steps. */
export const createRolloutBodySchema = z.strictObject(definitionFields);

/** Body of `PATCH /rollouts/{rollout_id}`: the fields to change; the preview and approval become stale. */
export const patchRolloutBodySchema = z.strictObject({
  enabled: z.optional(definitionFields.enabled),
  audience: z.optional(audienceSchema),
  steps: z.optional(stepsSchema),
  overrides: z.optional(z.enum(['keep', 'include'], { error: 'overrides must be keep or include' })),
  continuous: z.optional(definitionFields.continuous),
  on_leave: z.optional(z.enum(['keep', 'revert'], { error: 'on_leave must be keep or revert' })),
  note: definitionFields.note,
});

export const rolloutPathSchema = z.object({
  rollout_id: z
    .string()
    .check(z.regex(ROLLOUT_ID_PATTERN, 'rollout_id is not a rollout id (e.g. 20261207T090000123Z-3f9a1c)')),
});

/** `GET /rollouts?key=&status=`. */
export const listRolloutsQuerySchema = z.strictObject({
  key: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  status: z.optional(z.enum(ROLLOUT_STATUSES, { error: `status must be one of ${ROLLOUT_STATUSES.join(', ')}` })),
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number' })
      .check(z.int(), z.minimum(1, 'limit must be 1-100'), z.maximum(100, 'limit must be 1-100')),
    20,
  ),
  cursor: z.optional(z.string().check(z.minLength(1))),
});

/** `GET /rollouts/{rollout_id}/orgs?step=&outcome=&cursor=&limit=`. */
export const rolloutOrgsQuerySchema = z.strictObject({
  step: z.optional(
    z.coerce
      .number({ error: 'step must be a number' })
      .check(z.int(), z.minimum(1, `step must be 1-${MAX_ROLLOUT_STEPS}`), z.maximum(MAX_ROLLOUT_STEPS)),
  ),
  outcome: z.optional(
    z.enum(['will_change', 'already', 'held'], { error: 'outcome must be one of will_change, already, held' }),
  ),
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number' })
      .check(z.int(), z.minimum(1, 'limit must be 1-1000'), z.maximum(1000, 'limit must be 1-1000')),
    100,
  ),
  cursor: z.optional(z.string().check(z.minLength(1))),
});

/** Where a page of rollouts or of a preview's orgs continues. */
export const rolloutPositionSchema = z.strictObject({ after: z.string().check(z.minLength(1)) });
