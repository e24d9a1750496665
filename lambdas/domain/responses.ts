import * as z from 'zod/mini';
import { flagDefinitionSchema, orgAttributeDefinitionSchema, retiredFlagSchema } from '../../registry/schema.js';
import { FLAG_SOURCES } from './flags.js';
import { JOB_TYPES, type JobType } from './jobs.js';
import { ROLLOUT_STATUSES } from './rollouts.js';

/**
 * The response bodies of the HTTP API, as zod schemas: the API description (`GET /openapi.json`)
 * is generated from them, and tests check the use cases' results against them. Every schema
 * registered in {@link responseComponents} becomes a named component of that description. Objects
 * are strict: a field a schema does not name is a mismatch, in zod as in the description.
 */
export const responseComponents = z.registry<{ id: string }>();

function component<S extends z.core.$ZodType>(id: string, schema: S): S {
  responseComponents.add(schema, { id });
  return schema;
}

const timestamp = z.iso.datetime();
const version = z
  .number()
  .check(
    z.int(),
    z.nonnegative(),
    z.describe('Strictly increasing per row; compare for equality only. 0 when the org has no row.'),
  );
const nextCursor = z
  .nullable(z.string())
  .check(z.describe('Opaque; pass it as `cursor` to get the next page. Bound to this query. null on the last page.'));
const registryVersion = z.string().check(z.describe('Content hash of the flag registry in force.'));
const flagSource = z.enum(FLAG_SOURCES);
const mergedSource = z.enum([...flagSource.options, 'registry_default']);

// Errors

const errorDetail = z.looseObject({
  code: z
    .string()
    .check(
      z.describe(
        'Stable, machine-readable: `invalid_request`, `unknown_flag`, `org_not_found`, `version_conflict`, ...',
      ),
    ),
  message: z.string(),
  issues: z
    .optional(z.array(z.strictObject({ field: z.nullable(z.string()), message: z.string() })))
    .check(z.describe('`invalid_request`: each bad field.')),
  valid_keys: z.optional(z.array(z.string())).check(z.describe('`unknown_flag`: the keys of the registry.')),
  job_id: z.optional(z.string()).check(z.describe('`job_running`: the job already running.')),
});

export const errorSchema = component(
  'Error',
  z.strictObject({ error: errorDetail }).check(z.describe('Every error the service itself answers.')),
);

export const gatewayErrorSchema = component(
  'GatewayError',
  z
    .strictObject({
      message: z
        .string()
        .check(z.describe("API Gateway's own text: `Unauthorized`, `Forbidden`, `Too Many Requests`.")),
      error: z
        .optional(z.strictObject({ code: z.string(), message: z.string() }))
        .check(z.describe('Added by the local gateway only.')),
    })
    .check(
      z.describe(
        'An answer of API Gateway itself (or of the local gateway, which adds `error`), before any function runs.',
      ),
    ),
);

// Registry and flags

export const flagDefinitionComponent = component(
  'FlagDefinition',
  flagDefinitionSchema.check(z.describe('One flag of the registry.')),
);
export const retiredFlagComponent = component(
  'RetiredFlag',
  retiredFlagSchema.check(z.describe('A key that was once a flag; never reused.')),
);

export const mergedFlagSchema = component(
  'MergedFlag',
  z
    .strictObject({
      key: z.string(),
      description: z.string(),
      feature_flag_value: z.union([z.literal(0), z.literal(1)]),
      user_enabled: z.boolean().check(z.describe('The same state as `feature_flag_value`.')),
      internal_only: z.boolean().check(z.describe('From the registry, always.')),
      from_registry: z.literal(true),
      is_default: z
        .boolean()
        .check(z.describe('True when the org has no row for the flag: the value is the registry default.')),
      source: mergedSource,
      version,
      updated_at: z.nullable(timestamp),
      updated_by: z
        .nullable(z.string())
        .check(z.describe('Stable subject of whoever wrote the row last, or the writing process.')),
      updated_by_email: z.nullable(z.string()),
    })
    .check(z.describe("One registry flag of one org: the registry definition merged with the org's row.")),
);

export const versionConflictSchema = component(
  'VersionConflictError',
  z
    .strictObject({
      error: z.strictObject({
        code: z.enum(['version_conflict', 'precondition_failed']),
        message: z.string(),
        current_version: version,
        current: z.nullable(mergedFlagSchema).check(z.describe('The flag as it stands now.')),
      }),
    })
    .check(
      z.describe('A write named a version (`version` in the body: 409; `If-Match`: 412) that the row no longer has.'),
    ),
);

export const healthSchema = component(
  'Health',
  z.strictObject({ status: z.literal('ok'), registry_version: registryVersion }),
);

export const flagRegistrySchema = component(
  'FlagRegistry',
  z
    .strictObject({
      registry_version: registryVersion,
      flags: z.array(flagDefinitionComponent),
      retired: z.optional(z.array(retiredFlagComponent)).check(z.describe('Staff and services only.')),
      org_attributes: z
        .optional(
          z.strictObject({
            version: z.string().check(z.describe('Content hash of the declared org attributes.')),
            attributes: z.array(component('OrgAttributeDefinition', orgAttributeDefinitionSchema)),
          }),
        )
        .check(z.describe('The declared org attributes (registry/org-attributes.ts); staff and services only.')),
    })
    .check(z.describe('The registry as the caller may see it: org tokens get no internal flags and no retired keys.')),
);

export const orgFlagsSchema = component(
  'OrgFlags',
  z.strictObject({
    org_id: z.string(),
    registry_version: registryVersion,
    provisioned_registry_version: z.string(),
    synced_registry_version: z.nullable(z.string()).check(z.describe('null until a sync visited the org.')),
    flags: z
      .array(mergedFlagSchema)
      .check(z.describe('Every registry flag the caller may see, once, in registry order.')),
  }),
);

export const orgFlagSchema = component('OrgFlag', z.strictObject({ org_id: z.string(), flag: mergedFlagSchema }));

export const flagChangeSchema = component(
  'FlagChange',
  z.strictObject({
    org_id: z.string(),
    changed: z.boolean().check(z.describe('false when the flag already had this value: nothing was written.')),
    previous_enabled: z.boolean(),
    flag: mergedFlagSchema,
  }),
);

// Orgs

const attributeValues = z
  .record(z.string(), z.string())
  .check(z.describe("The org's attribute values by name; an attribute with no known value is absent."));

export const orgSummarySchema = component(
  'OrgSummary',
  z.strictObject({
    org_id: z.string(),
    provisioned_at: timestamp,
    registry_version: z.string().check(z.describe('The registry version the org was provisioned with.')),
    synced_registry_version: z.nullable(z.string()),
    attributes: attributeValues,
  }),
);

export const attributeChangeSchema = component(
  'OrgAttributeChange',
  z.strictObject({
    attributes: attributeValues,
    previous: attributeValues,
    occurred_at: timestamp.check(
      z.describe("When the change happened: the event's `occurred_at`, or the admin's request."),
    ),
    changed_at: timestamp.check(z.describe('When this service recorded it.')),
    changed_by: z.string().check(z.describe("The admin's subject, or `event:<source>` for an org event.")),
    source: z.enum(['event', 'admin']),
    request_id: z.string().check(z.describe('The request id, or the event id.')),
  }),
);

export const orgRecordSchema = component(
  'OrgRecord',
  z.strictObject({
    ...orgSummarySchema.shape,
    provisioned_by: z.string(),
    synced_at: z.nullable(timestamp),
    attributes_at: z
      .nullable(timestamp)
      .check(z.describe('When the change that set the attributes happened; an older change is ignored.')),
    attributes_by: z.nullable(z.string()),
    attribute_changes: z.array(attributeChangeSchema).check(z.describe('The latest 20 changes, newest first.')),
  }),
);

export const orgListSchema = component(
  'OrgList',
  z.strictObject({ orgs: z.array(orgSummarySchema), next_cursor: nextCursor }),
);

export const flagOrgStateSchema = component(
  'FlagOrgState',
  z.strictObject({
    org_id: z.string(),
    enabled: z.boolean(),
    is_default: z.boolean(),
    source: mergedSource,
    version,
    updated_at: z.nullable(timestamp),
    updated_by: z.nullable(z.string()),
    updated_by_email: z.nullable(z.string()),
  }),
);

export const flagOrgsSchema = component(
  'FlagOrgs',
  z
    .strictObject({
      key: z.string(),
      flag: flagDefinitionComponent,
      registry_version: registryVersion,
      orgs: z.array(flagOrgStateSchema),
      next_cursor: nextCursor,
    })
    .check(z.describe("Every provisioned org's state of one flag, in org id order.")),
);

export const provisionSchema = component(
  'Provisioning',
  z.strictObject({
    org_id: z.string(),
    provisioned: z.boolean().check(z.describe('true when this call provisioned the org; false when it already was.')),
    rows_written: z.number().check(z.int(), z.nonnegative()),
    registry_version: z.string(),
  }),
);

// History

export const historyEntrySchema = component(
  'HistoryEntry',
  z.strictObject({
    change_id: z.string().check(z.describe('Stable id; `FeatureFlagChanged` events carry it.')),
    org_id: z.string(),
    key: z.string(),
    previous_enabled: z.boolean(),
    enabled: z.boolean(),
    version,
    source: flagSource,
    changed_by: z.string(),
    changed_by_email: z.nullable(z.string()),
    changed_at: timestamp,
    request_id: z.string(),
  }),
);

const changes = z.array(historyEntrySchema).check(z.describe('Newest first.'));

export const orgHistorySchema = component(
  'OrgHistory',
  z.strictObject({ org_id: z.string(), changes, next_cursor: nextCursor }),
);

export const flagHistorySchema = component(
  'FlagHistory',
  z.strictObject({ key: z.string(), changes, next_cursor: nextCursor }),
);

// Bulk change

export const bulkResultSchema = component(
  'BulkOrgResult',
  z.strictObject({
    org_id: z.string(),
    result: z.enum(['changed', 'unchanged', 'org_not_found', 'conflict', 'error']),
    version: z.optional(version),
    previous_enabled: z.optional(z.boolean()),
    error: z.optional(z.strictObject({ code: z.string(), message: z.string() })),
  }),
);

const bulkCount = z.number().check(z.int(), z.nonnegative());

export const bulkChangeSchema = component(
  'BulkChange',
  z
    .strictObject({
      key: z.string(),
      enabled: z.boolean(),
      request_id: z.string(),
      counts: z.strictObject({
        changed: bulkCount,
        unchanged: bulkCount,
        org_not_found: bulkCount,
        conflict: bulkCount,
        error: bulkCount,
      }),
      results: z.array(bulkResultSchema).check(z.describe('One per org id, in the order given.')),
    })
    .check(z.describe('Each org an ordinary audited write; one org failing does not stop the others.')),
);

// Jobs

const count = z.number().check(z.int(), z.nonnegative());

const staleReportSchema = component(
  'StaleReport',
  z.strictObject({
    generated_at: timestamp,
    registry_version: z.string(),
    stale_days: z.number().check(z.int()),
    includes_orgs: z.boolean(),
    orgs: count,
    flags: z.array(
      z.strictObject({
        key: z.string(),
        owner: z.string(),
        internal_only: z.boolean(),
        permanent: z.boolean(),
        cleanup_after: z.nullable(z.string()),
        orgs_on: count,
        orgs_off: count,
        orgs_at_default: count,
        latest_enabled_at: z.nullable(timestamp),
        state: z.enum(['on_everywhere', 'off_everywhere', 'mixed', 'no_orgs']),
        findings: z.array(z.enum(['past_cleanup_date', 'on_everywhere_long_ago', 'off_everywhere'])),
        held_back_by: z.nullable(
          z.strictObject({ value: z.boolean(), orgs_count: count, org_ids: z.array(z.string()) }),
        ),
      }),
    ),
    past_due: z.array(z.string()),
    ready_to_remove: z.array(z.string()),
    off_everywhere: z.array(z.string()),
    held_back: z.array(z.string()),
    orphans_by_key: z.record(z.string(), count),
  }),
);

/** Each job type's result (a type without its entry fails the type check). */
const outcomeCountsSchema = component(
  'RolloutOutcomeCounts',
  z.strictObject({ will_change: count, already: count, held_by_override: count }),
);

const previewTallySchema = component(
  'RolloutPreviewCounts',
  z.strictObject({
    audience: count.check(z.describe('Orgs in the audience, before the percentages.')),
    steps: z
      .array(outcomeCountsSchema)
      .check(
        z.describe(
          'Per step, from step 1: the orgs that step itself reaches (in at its percentage, not at the one before).',
        ),
      ),
    by_attribute: z
      .record(z.string(), z.record(z.string(), outcomeCountsSchema))
      .check(z.describe('Per attribute and value: the orgs any step reaches.')),
  }),
);

const jobResultSchemas = {
  sync: z.strictObject({ type: z.literal('sync'), registry_version: z.string() }),
  'orphan-cleanup': z.strictObject({
    type: z.literal('orphan-cleanup'),
    dry_run: z.boolean(),
    orphans_by_key: z.record(z.string(), count),
    export_location: z.nullable(z.string()),
  }),
  report: z.strictObject({ type: z.literal('report'), report: staleReportSchema }),
  'rollout-preview': z.strictObject({
    type: z.literal('rollout-preview'),
    rollout_id: z.string(),
    definition_hash: z.string(),
    tally: previewTallySchema,
  }),
} as const satisfies { readonly [T in JobType]: z.ZodMiniObject<{ type: z.ZodMiniLiteral<T> } & z.core.$ZodShape> };

type JobResultSchema = (typeof jobResultSchemas)[JobType];
const jobResultSchema = z.discriminatedUnion(
  'type',
  JOB_TYPES.map((type): JobResultSchema => jobResultSchemas[type]) as [JobResultSchema, ...JobResultSchema[]],
);

export const jobSchema = component(
  'Job',
  z
    .strictObject({
      job_id: z.string(),
      type: z.enum(JOB_TYPES),
      status: z.enum(['running', 'succeeded', 'failed']),
      options: z.strictObject({
        dry_run: z.optional(z.boolean()),
        force: z.optional(z.boolean()),
        stale_days: z.optional(z.number().check(z.int())),
        rollout_id: z.optional(z.string()),
        definition_hash: z.optional(z.string()),
      }),
      registry_version: z.string(),
      created_at: timestamp,
      created_by: z.string(),
      updated_at: timestamp,
      finished_at: z.nullable(timestamp),
      progress: z.strictObject({
        orgs_total: z.nullable(count),
        orgs_done: count,
        pages_done: count,
        percent: z.number().check(z.int(), z.minimum(0), z.maximum(100)),
      }),
      counts: z.strictObject({
        orgs_seen: count,
        orgs_changed: count,
        orgs_skipped: count,
        orgs_failed: count,
        rows_missing: count,
        rows_written: count,
        orphan_rows: count,
        rows_exported: count,
        rows_deleted: count,
      }),
      errors: z
        .array(z.strictObject({ org_id: z.nullable(z.string()), message: z.string(), at: timestamp }))
        .check(z.describe('The first ten.')),
      failure: z.nullable(z.string()).check(z.describe('Why the engine gave up, when it did.')),
      resumes: count,
      result: z.nullable(jobResultSchema).check(z.describe('Once the job finished.')),
    })
    .check(z.describe('A job over all orgs.')),
);

export const jobListSchema = component(
  'JobList',
  z.strictObject({ jobs: z.array(jobSchema).check(z.describe('Newest first.')), next_cursor: nextCursor }),
);

// OpenFeature (OFREP)

export const ofrepEvaluationSchema = component(
  'OfrepEvaluation',
  z
    .strictObject({
      key: z.string(),
      value: z.boolean(),
      reason: z
        .enum(['TARGETING_MATCH', 'DEFAULT'])
        .check(z.describe('TARGETING_MATCH: the org has its own row; DEFAULT: no row yet, the registry default.')),
      variant: z.enum(['on', 'off']),
      metadata: z.strictObject({
        is_default: z.boolean(),
        source: mergedSource,
        version,
        registry_version: registryVersion,
      }),
    })
    .check(z.describe('One flag evaluated for one org.')),
);

export const ofrepBulkEvaluationSchema = component(
  'OfrepBulkEvaluation',
  z.strictObject({
    flags: z
      .array(ofrepEvaluationSchema)
      .check(z.describe('Every flag the caller may see, in registry order (never an internal flag for an org token).')),
    metadata: z.strictObject({ org_id: z.string(), registry_version: registryVersion }),
  }),
);

const ofrepErrorCode = z.enum(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'FLAG_NOT_FOUND', 'GENERAL']);

export const ofrepEvaluationFailureSchema = component(
  'OfrepEvaluationFailure',
  z
    .strictObject({ key: z.string(), errorCode: ofrepErrorCode, errorDetails: z.string() })
    .check(z.describe("An error of the single-flag evaluation, in OFREP's shape.")),
);

export const ofrepBulkFailureSchema = component(
  'OfrepBulkFailure',
  z
    .strictObject({ errorCode: ofrepErrorCode, errorDetails: z.string() })
    .check(z.describe("An error of the bulk evaluation, in OFREP's shape.")),
);

export const apiDescriptionSchema = component(
  'OpenApiDocument',
  z
    .looseObject({
      openapi: z.string(),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      paths: z.record(z.string(), z.looseObject({})),
    })
    .check(z.describe('This description, OpenAPI 3.1.')),
);

// Rollouts

const stringList = z.array(z.string());

export const rolloutSchema = component(
  'Rollout',
  z.strictObject({
    rollout_id: z.string(),
    key: z.string(),
    enabled: z.boolean().check(z.describe('The value the rollout sets.')),
    audience: z
      .strictObject({
        attributes: z.optional(z.record(z.string(), stringList)),
        created_before: z.optional(z.string()),
        created_after: z.optional(z.string()),
        org_ids: z.optional(stringList),
        exclude_org_ids: z.optional(stringList),
      })
      .check(z.describe('Which orgs the rollout may reach; every condition given must hold.')),
    steps: z.array(
      z.strictObject({
        step: z.number().check(z.int(), z.minimum(1)),
        percent: z.number().check(z.int(), z.minimum(1), z.maximum(100)),
        at: z.nullable(z.string()).check(z.describe('When the step starts by itself; null: on `advance`.')),
      }),
    ),
    overrides: z.enum(['keep', 'include']),
    continuous: z.boolean(),
    on_leave: z.enum(['keep', 'revert']),
    note: z.nullable(z.string()),
    status: z.enum(ROLLOUT_STATUSES),
    definition_hash: z.string().check(z.describe('Hash of the definition; a preview and an approval are bound to it.')),
    version: count,
    created_at: timestamp,
    created_by: z.string(),
    updated_at: timestamp,
    updated_by: z.string(),
    steps_done: count,
    preview: z.nullable(
      z.strictObject({
        job_id: z.string(),
        status: z.enum(['running', 'succeeded', 'failed', 'missing']),
        current: z
          .boolean()
          .check(
            z.describe('Made of this definition under the registry in force, and finished: the rollout may start.'),
          ),
        registry_version: z.string(),
        definition_hash: z.string(),
        started_at: timestamp,
        finished_at: z.nullable(timestamp),
        failure: z.nullable(z.string()),
        audience: z.nullable(count),
        steps: z.array(
          z.strictObject({
            step: z.number().check(z.int(), z.minimum(1)),
            percent: z.nullable(z.number()),
            will_change: count,
            already: count,
            held_by_override: count,
          }),
        ),
        by_attribute: z.record(z.string(), z.record(z.string(), outcomeCountsSchema)),
      }),
    ),
    approval: z.nullable(z.strictObject({ by: z.string(), at: timestamp, current: z.boolean() })),
  }),
);

export const rolloutListSchema = component(
  'RolloutList',
  z.strictObject({ rollouts: z.array(rolloutSchema), next_cursor: nextCursor }),
);

export const rolloutOrgsSchema = component(
  'RolloutOrgs',
  z.strictObject({
    rollout_id: z.string(),
    preview_job_id: z.nullable(z.string()),
    orgs: z.array(
      z.strictObject({
        org_id: z.string(),
        step: z.number().check(z.int(), z.minimum(1), z.describe('The step that reaches the org.')),
        outcome: z.enum(['will_change', 'already', 'held']),
        enabled: z.boolean().check(z.describe("The org's value when previewed.")),
        source: mergedSource,
        attributes: z.record(z.string(), z.string()),
      }),
    ),
    next_cursor: nextCursor,
  }),
);
