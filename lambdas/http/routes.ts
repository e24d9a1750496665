import * as z from 'zod/mini';
import { SCOPES } from '../domain/caller.js';
import * as responses from '../domain/responses.js';
import { jobOptionsSchemas, jobTypePathSchema } from '../domain/job-schemas.js';
import { STARTABLE_JOB_TYPES, type StartableJobType } from '../domain/jobs.js';
import {
  byFlagQuerySchema,
  flagHistoryQuerySchema,
  listJobsQuerySchema,
  listOrgsQuerySchema,
  orgHistoryQuerySchema,
} from '../domain/query-schemas.js';
import { flagPathSchema, jobIdPathSchema, orgFlagPathSchema, orgPathSchema } from '../domain/schemas.js';
import { evaluationRequestSchema } from '../domain/ofrep-schemas.js';
import { orgAttributesBodySchema } from '../domain/org-attribute-schemas.js';
import {
  createRolloutBodySchema,
  listRolloutsQuerySchema,
  patchRolloutBodySchema,
  rolloutOrgsQuerySchema,
  rolloutPathSchema,
} from '../domain/rollout-schemas.js';
import { bulkSetBodySchema, ifMatchSchema, setFlagBodySchema } from '../domain/write-schemas.js';

/** What a route reads from the request, as the zod schemas its handler parses it with. */
export interface RouteRequest {
  readonly path?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  /** Request headers the route reads, by lowercase name. */
  readonly headers?: z.ZodMiniObject;
  /** The JSON body; required unless `bodyOptional`. */
  readonly body?: z.core.$ZodType;
  readonly bodyOptional?: boolean;
}

/** One success answer: its status, a schema registered in `responseComponents` (none for 304), and headers it carries (name: description). */
export type RouteSuccess = {
  readonly description: string;
  readonly headers?: Readonly<Record<string, string>>;
} & (
  { readonly status: 200 | 201 | 202; readonly body: z.core.$ZodType } | { readonly status: 304; readonly body?: never }
);

/**
 * Error statuses the route's own logic answers, each with when (the codes), and optionally the
 * bodies (registered schemas) when they are not the plain `Error`. 401 and 403 (routes with
 * scopes), 413 and 415 (routes with a body), 429 and 500 come from the gateway or the handler
 * chain and are added to the API description for every route they apply to.
 */
export type RouteErrors = Readonly<
  Partial<
    Record<
      400 | 404 | 409 | 412 | 503,
      string | { readonly description: string; readonly bodies: readonly z.core.$ZodType[] }
    >
  >
>;

/**
 * The functions that serve the routes, by the name `lib/service/handlers.ts` deploys each under; a
 * route's operation id in the API description is its handler's name.
 */
export type RouteHandlerName =
  | 'health'
  | 'openapi'
  | 'list-flags'
  | 'get-org-flags'
  | 'set-org-flag'
  | 'list-flag-orgs'
  | 'get-org-flag'
  | 'get-org-history'
  | 'get-flag-history'
  | 'bulk-set-flag'
  | 'ofrep-evaluate-flag'
  | 'ofrep-evaluate-flags'
  | 'list-orgs'
  | 'provision-org'
  | 'get-org'
  | 'set-org-attributes'
  | 'create-rollout'
  | 'list-rollouts'
  | 'get-rollout'
  | 'update-rollout'
  | 'preview-rollout'
  | 'list-rollout-orgs'
  | 'list-jobs'
  | 'start-job'
  | 'get-job'
  | 'resume-job';

/** One HTTP API route: method, path template (API Gateway syntax), handler, required scopes, and what the API description says of it. */
export interface RouteDeclaration {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly path: string;
  readonly handler: RouteHandlerName;
  /** Any one of these scopes admits the caller; an empty list means the route is open. */
  readonly scopes: readonly string[];
  readonly summary: string;
  readonly request: RouteRequest;
  readonly responses: readonly [RouteSuccess, ...RouteSuccess[]];
  readonly errors: RouteErrors;
  /**
   * `ofrep`: an OpenFeature evaluation route, whose errors take OFREP's shapes
   * (`lambdas/http/ofrep.ts`): 401 and 403 without a body, 429 with `Retry-After` for a throttled
   * dependency, 500 with `errorCode`.
   */
  readonly protocol?: 'ofrep';
}

const INVALID = 'invalid_request: a path or query parameter is malformed';
const UNAVAILABLE = 'dependency_unavailable: DynamoDB is throttling or unreachable; retry after `Retry-After` seconds';
const PAGE = 'invalid_request: a bad parameter; invalid_cursor: a cursor this query did not return';
const VERSION_HEADER = { ETag: "The flag's version, quoted: send it back as `If-Match`" };
const JOB_HEADERS = { Location: 'The URL of the job: `/jobs/{job_id}`' };
const ROLLOUT_HEADERS = { Location: 'The URL of the rollout: `/rollouts/{rollout_id}`' };
type JobOptionsSchema = (typeof jobOptionsSchemas)[StartableJobType];
const jobOptionsBody = z
  .union(
    STARTABLE_JOB_TYPES.map((type): JobOptionsSchema => jobOptionsSchemas[type]) as [
      JobOptionsSchema,
      ...JobOptionsSchema[],
    ],
  )
  .check(
    z.describe(
      `The options of the job type in the path (${STARTABLE_JOB_TYPES.map((type) => `${type}: ${Object.keys(jobOptionsSchemas[type].shape).join(', ')}`).join('; ')}).`,
    ),
  );

const ANY_ROLE = [SCOPES.admin, SCOPES.service, SCOPES.org];
const ADMIN = [SCOPES.admin];
const STAFF = [SCOPES.admin, SCOPES.service];

/** Every route of the API, declared once for the CDK stack, the local server and the API description. */
export const ROUTES: readonly RouteDeclaration[] = [
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    scopes: [],
    summary: 'Readiness check; does not touch the table',
    request: {},
    responses: [{ status: 200, description: 'The service is up', body: responses.healthSchema }],
    errors: {},
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi',
    scopes: [],
    summary: 'This API description (OpenAPI 3.1)',
    request: {},
    responses: [
      {
        status: 200,
        description: 'The description',
        body: responses.apiDescriptionSchema,
        headers: { 'Cache-Control': 'Cacheable for five minutes' },
      },
    ],
    errors: {},
  },
  {
    method: 'GET',
    path: '/feature-flags',
    handler: 'list-flags',
    scopes: ANY_ROLE,
    summary: 'The flag registry: every flag definition the caller may see',
    request: {},
    responses: [{ status: 200, description: 'The registry', body: responses.flagRegistrySchema }],
    errors: {},
  },
  {
    method: 'GET',
    path: '/org-feature-flags/{org_id}',
    handler: 'get-org-flags',
    scopes: ANY_ROLE,
    summary: "Every registry flag for one org, merged with the org's rows",
    request: { path: orgPathSchema },
    responses: [{ status: 200, description: "The org's flags", body: responses.orgFlagsSchema }],
    errors: {
      400: INVALID,
      404: 'org_not_found: no such org, or an org token asking for another org',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'POST',
    path: '/org-feature-flags',
    handler: 'set-org-flag',
    scopes: ADMIN,
    summary: 'Set one flag of one org (audited); optionally only if it is at a version',
    request: { body: setFlagBodySchema, headers: z.object({ 'if-match': z.optional(ifMatchSchema) }) },
    responses: [
      {
        status: 200,
        description: 'The flag as it now stands; `changed: false` when it already had the value',
        body: responses.flagChangeSchema,
        headers: VERSION_HEADER,
      },
    ],
    errors: {
      400: 'invalid_request, malformed_json, or unknown_flag (with `valid_keys`)',
      404: 'org_not_found',
      409: {
        description:
          'version_conflict: `version` is not the current one (with the current state); concurrent_change: other writes kept colliding',
        bodies: [responses.versionConflictSchema, responses.errorSchema],
      },
      412: {
        description: 'precondition_failed: `If-Match` is not the current version (with the current state)',
        bodies: [responses.versionConflictSchema],
      },
      503: UNAVAILABLE,
    },
  },
  {
    method: 'GET',
    path: '/org-feature-flags/by-flag/{key}',
    handler: 'list-flag-orgs',
    scopes: STAFF,
    summary: "Every org's state of one flag, a page at a time",
    request: { path: flagPathSchema, query: byFlagQuerySchema },
    responses: [{ status: 200, description: 'One page of orgs', body: responses.flagOrgsSchema }],
    errors: { 400: `${PAGE}; unknown_flag`, 503: UNAVAILABLE },
  },
  {
    method: 'GET',
    path: '/org-feature-flags/{org_id}/flags/{key}',
    handler: 'get-org-flag',
    scopes: ANY_ROLE,
    summary: 'One flag of one org',
    request: {
      path: orgFlagPathSchema,
      headers: z.object({
        'if-none-match': z.optional(z.string()).check(z.describe('ETags the client holds; 304 when one is current')),
      }),
    },
    responses: [
      { status: 200, description: 'The flag', body: responses.orgFlagSchema, headers: VERSION_HEADER },
      { status: 304, description: '`If-None-Match` names the current version', headers: VERSION_HEADER },
    ],
    errors: {
      400: `${INVALID}; unknown_flag (staff)`,
      404: 'org_not_found: no such org, or not the org of an org token; flag_not_found: an org token asking for an internal or unknown flag',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'GET',
    path: '/org-feature-flags/{org_id}/history',
    handler: 'get-org-history',
    scopes: STAFF,
    summary: "One org's changes, newest first, a page at a time",
    request: { path: orgPathSchema, query: orgHistoryQuerySchema },
    responses: [{ status: 200, description: 'One page of changes', body: responses.orgHistorySchema }],
    errors: { 400: PAGE, 404: 'org_not_found', 503: UNAVAILABLE },
  },
  {
    method: 'GET',
    path: '/feature-flags/{key}/history',
    handler: 'get-flag-history',
    scopes: STAFF,
    summary: "One flag's changes across every org, newest first, a page at a time",
    request: { path: flagPathSchema, query: flagHistoryQuerySchema },
    responses: [{ status: 200, description: 'One page of changes', body: responses.flagHistorySchema }],
    errors: { 400: PAGE, 503: UNAVAILABLE },
  },
  {
    method: 'POST',
    path: '/feature-flags/{key}/orgs',
    handler: 'bulk-set-flag',
    scopes: ADMIN,
    summary: 'Set one flag for up to 100 orgs, each an ordinary audited write',
    request: { path: flagPathSchema, body: bulkSetBodySchema },
    responses: [{ status: 200, description: 'The result for each org', body: responses.bulkChangeSchema }],
    errors: { 400: 'invalid_request, malformed_json, or unknown_flag (with `valid_keys`)', 503: UNAVAILABLE },
  },
  {
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/{key}',
    handler: 'ofrep-evaluate-flag',
    scopes: ANY_ROLE,
    protocol: 'ofrep',
    summary: 'OpenFeature (OFREP): evaluate one flag for the org named by `context.targetingKey`',
    request: { path: flagPathSchema, body: evaluationRequestSchema },
    responses: [{ status: 200, description: 'The flag, evaluated for the org', body: responses.ofrepEvaluationSchema }],
    errors: {
      400: {
        description:
          'PARSE_ERROR: the body is not JSON; TARGETING_KEY_MISSING: no `context.targetingKey`; INVALID_CONTEXT: not an org id, no such org, or an org the token may not evaluate (the same answer)',
        bodies: [responses.ofrepEvaluationFailureSchema],
      },
      404: {
        description: 'FLAG_NOT_FOUND: no such flag, or an internal flag asked for with an org token',
        bodies: [responses.ofrepEvaluationFailureSchema],
      },
    },
  },
  {
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags',
    handler: 'ofrep-evaluate-flags',
    scopes: ANY_ROLE,
    protocol: 'ofrep',
    summary:
      "OpenFeature (OFREP): every flag the caller may see for the org named by `context.targetingKey`, with the answer's ETag",
    request: { body: evaluationRequestSchema, headers: z.object({ 'if-none-match': z.optional(z.string()) }) },
    responses: [
      {
        status: 200,
        description: "The org's flags",
        body: responses.ofrepBulkEvaluationSchema,
        headers: { ETag: 'Changes exactly when this answer does; send it back as `If-None-Match`' },
      },
      {
        status: 304,
        description: '`If-None-Match` names the current ETag: the answer has not changed (no body)',
        headers: { ETag: 'The current ETag' },
      },
    ],
    errors: {
      400: {
        description:
          'PARSE_ERROR: the body is not JSON; TARGETING_KEY_MISSING: no `context.targetingKey`; INVALID_CONTEXT: not an org id, no such org, or an org the token may not evaluate (the same answer)',
        bodies: [responses.ofrepBulkFailureSchema],
      },
    },
  },
  {
    method: 'GET',
    path: '/orgs',
    handler: 'list-orgs',
    scopes: STAFF,
    summary:
      'Provisioned orgs in org id order, optionally by id prefix and attribute values (`?plan=pro,enterprise`), a page at a time; a filtered page reads at most 1,000 org records and may come back short, with a cursor',
    request: { query: listOrgsQuerySchema },
    responses: [{ status: 200, description: 'One page of orgs', body: responses.orgListSchema }],
    errors: { 400: PAGE, 503: UNAVAILABLE },
  },
  {
    method: 'GET',
    path: '/orgs/{org_id}',
    handler: 'get-org',
    scopes: STAFF,
    summary:
      'One org record: attributes, when provisioned and with which registry, last sync, latest attribute changes',
    request: { path: orgPathSchema },
    responses: [{ status: 200, description: 'The org', body: responses.orgRecordSchema }],
    errors: { 400: INVALID, 404: 'org_not_found', 503: UNAVAILABLE },
  },
  {
    method: 'PUT',
    path: '/orgs/{org_id}/attributes',
    handler: 'set-org-attributes',
    scopes: ADMIN,
    summary:
      "Set an org's whole set of attributes (those left out are unset), for orgs that predate the org events; audited",
    request: { path: orgPathSchema, body: orgAttributesBodySchema },
    responses: [{ status: 200, description: 'The org as it now stands', body: responses.orgRecordSchema }],
    errors: {
      400: 'invalid_request: an undeclared attribute or a value its declaration does not allow; malformed_json',
      404: 'org_not_found',
      409: 'attributes_newer: an org event dated later than this request set them; concurrent_change',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'POST',
    path: '/orgs/{org_id}/provision',
    handler: 'provision-org',
    scopes: ADMIN,
    summary: 'Provision an org that existed before this service (the same code as OrgCreated)',
    request: { path: orgPathSchema },
    responses: [
      { status: 201, description: 'This call provisioned the org', body: responses.provisionSchema },
      {
        status: 200,
        description: 'The org was already provisioned; nothing was written',
        body: responses.provisionSchema,
      },
    ],
    errors: { 400: INVALID, 503: UNAVAILABLE },
  },
  {
    method: 'GET',
    path: '/jobs',
    handler: 'list-jobs',
    scopes: ADMIN,
    summary: 'Jobs over all orgs, newest first, a page at a time',
    request: { query: listJobsQuerySchema },
    responses: [{ status: 200, description: 'One page of jobs', body: responses.jobListSchema }],
    errors: { 400: PAGE, 503: UNAVAILABLE },
  },
  {
    method: 'POST',
    path: '/jobs/{type}',
    handler: 'start-job',
    scopes: ADMIN,
    summary: `Start a job over all orgs (${STARTABLE_JOB_TYPES.join(', ')}); it runs asynchronously`,
    request: { path: jobTypePathSchema, body: jobOptionsBody, bodyOptional: true },
    responses: [{ status: 202, description: 'The job, started', body: responses.jobSchema, headers: JOB_HEADERS }],
    errors: {
      400: 'invalid_request: unknown job type or option; malformed_json',
      409: 'job_running: a job of this type is running for this registry (with `job_id`)',
      503: `${UNAVAILABLE}; or the job engine could not be started`,
    },
  },
  {
    method: 'GET',
    path: '/jobs/{job_id}',
    handler: 'get-job',
    scopes: ADMIN,
    summary: 'One job: status, progress, totals, first errors and, once finished, its result',
    request: { path: jobIdPathSchema },
    responses: [{ status: 200, description: 'The job', body: responses.jobSchema }],
    errors: { 400: INVALID, 404: 'job_not_found', 503: UNAVAILABLE },
  },
  {
    method: 'POST',
    path: '/jobs/{job_id}/resume',
    handler: 'resume-job',
    scopes: ADMIN,
    summary: 'Resume a job the engine gave up on, from its last checkpoint',
    request: { path: jobIdPathSchema },
    responses: [
      { status: 202, description: 'The job, running again', body: responses.jobSchema, headers: JOB_HEADERS },
    ],
    errors: {
      400: INVALID,
      404: 'job_not_found',
      409: 'job_not_resumable: the job is not failed, or changed meanwhile',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'POST',
    path: '/rollouts',
    handler: 'create-rollout',
    scopes: ADMIN,
    summary: 'Draft a rollout: one flag set to one value for an audience, in steps; nothing is written to any org yet',
    request: { body: createRolloutBodySchema },
    responses: [
      { status: 201, description: 'The rollout, a draft', body: responses.rolloutSchema, headers: ROLLOUT_HEADERS },
    ],
    errors: {
      400: 'invalid_request: a field is missing or malformed (steps not strictly increasing, an undeclared attribute or value); malformed_json; unknown_flag (with `valid_keys`); rollout_too_large',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'GET',
    path: '/rollouts',
    handler: 'list-rollouts',
    scopes: ADMIN,
    summary: 'Rollouts, newest first, optionally of one flag (`key`) or in one status, a page at a time',
    request: { query: listRolloutsQuerySchema },
    responses: [{ status: 200, description: 'One page of rollouts', body: responses.rolloutListSchema }],
    errors: { 400: PAGE, 503: UNAVAILABLE },
  },
  {
    method: 'GET',
    path: '/rollouts/{rollout_id}',
    handler: 'get-rollout',
    scopes: ADMIN,
    summary: 'One rollout: its definition, status, and its preview (counts per step and by attribute)',
    request: { path: rolloutPathSchema },
    responses: [{ status: 200, description: 'The rollout', body: responses.rolloutSchema }],
    errors: { 400: INVALID, 404: 'rollout_not_found', 503: UNAVAILABLE },
  },
  {
    method: 'PATCH',
    path: '/rollouts/{rollout_id}',
    handler: 'update-rollout',
    scopes: ADMIN,
    summary:
      'Edit a rollout that has not started (the flag stays); its preview and approval become stale, so it must be previewed again',
    request: { path: rolloutPathSchema, body: patchRolloutBodySchema },
    responses: [{ status: 200, description: 'The rollout as it now stands', body: responses.rolloutSchema }],
    errors: {
      400: 'invalid_request; malformed_json; rollout_too_large',
      404: 'rollout_not_found',
      409: 'rollout_started: it has started; rollout_changed: it changed meanwhile',
      503: UNAVAILABLE,
    },
  },
  {
    method: 'POST',
    path: '/rollouts/{rollout_id}/preview',
    handler: 'preview-rollout',
    scopes: ADMIN,
    summary:
      'Preview a rollout: a job over all orgs that finds, per step, the orgs it will change, those already at the value and those held by a person’s value',
    request: { path: rolloutPathSchema },
    responses: [
      { status: 202, description: 'The rollout, previewing', body: responses.rolloutSchema, headers: ROLLOUT_HEADERS },
    ],
    errors: {
      400: `${INVALID}; unknown_flag: the flag left the registry`,
      404: 'rollout_not_found',
      409: 'rollout_started; rollout_changed; job_running: its preview is running (with `job_id`)',
      503: `${UNAVAILABLE}; or the job engine could not be started`,
    },
  },
  {
    method: 'GET',
    path: '/rollouts/{rollout_id}/orgs',
    handler: 'list-rollout-orgs',
    scopes: ADMIN,
    summary:
      'The exact orgs of the rollout’s preview in org id order, optionally of one step (the orgs that step itself reaches) and one outcome',
    request: { path: rolloutPathSchema, query: rolloutOrgsQuerySchema },
    responses: [{ status: 200, description: 'One page of orgs', body: responses.rolloutOrgsSchema }],
    errors: {
      400: PAGE,
      404: 'rollout_not_found',
      409: 'no_preview: the rollout has no finished preview',
      503: UNAVAILABLE,
    },
  },
];

/** API Gateway's route key, e.g. `GET /org-feature-flags/{org_id}`. */
export function routeKey(route: RouteDeclaration): string {
  return `${route.method} ${route.path}`;
}
