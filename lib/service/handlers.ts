import path from 'node:path';
import { JOBS_PK } from '../../lambdas/adapters/dynamodb-job-store.js';
import { ROLLOUTS_PK } from '../../lambdas/adapters/dynamodb-rollout-store.js';
import type { RouteHandlerName } from '../../lambdas/http/routes.js';
import { loadRegistry } from '../../registry/index.js';
import { PROJECT_ROOT } from '../project.js';

/** What a function may do to the flag table; the stack grants exactly this and nothing more. */
export type TableAccess = 'none' | 'read' | 'read-put' | 'read-write' | 'read-write-delete';

/**
 * The DynamoDB actions each level of table access grants: the least each handler needs. `read-put`
 * is for the functions that only record jobs (whole items, put under a condition).
 */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  none: [],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  'read-put': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  'read-write': [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:ConditionCheckItem',
  ],
  'read-write-delete': [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
  ],
};

/** Access beyond the table: starting runs of the job state machine, writing orphan exports, reading the table's stream, publishing to the org bus. */
export type ExtraGrant = 'start-jobs' | 'write-exports' | 'read-stream' | 'publish-events';

/** One Lambda handler: its source entry (exporting `handler`) and the access it needs. */
export interface HandlerDeclaration {
  readonly entry: string;
  readonly tableAccess: TableAccess;
  /**
   * The partitions (`pk` values) the function's table access is confined to: IAM allows its table
   * actions only on items whose partition key is one of these (`dynamodb:LeadingKeys`). Every
   * partition when absent.
   */
  readonly tablePartitions?: readonly string[];
  /** Indexes of the flag table the function queries; it may Query them and do nothing else there. */
  readonly tableIndexes?: readonly string[];
  readonly grants?: readonly ExtraGrant[];
  /** Seconds a run may take; 10 unless said. */
  readonly timeoutSeconds?: number;
  readonly description: string;
}

/** The one partition of job items: the functions that only start, resume, record or read jobs are confined to it. */
const JOBS_ONLY = [JOBS_PK] as const;
/** The partition of rollout items, alone or with the jobs their previews and steps run as. */
const ROLLOUTS_ONLY = [ROLLOUTS_PK] as const;
const ROLLOUTS_AND_JOBS = [ROLLOUTS_PK, JOBS_PK] as const;

/** Every function of the service, by name; every route's handler among them. The CDK stack deploys one function per entry. */
export const HANDLERS = {
  health: { entry: 'lambdas/handlers/health.ts', tableAccess: 'none', description: 'Readiness check' },
  'list-flags': { entry: 'lambdas/handlers/list-flags.ts', tableAccess: 'none', description: 'The flag registry' },
  'get-org-flags': {
    entry: 'lambdas/handlers/get-org-flags.ts',
    tableAccess: 'read',
    description: "One org's merged flags",
  },
  openapi: { entry: 'lambdas/handlers/openapi.ts', tableAccess: 'none', description: "The API's OpenAPI document" },
  'ofrep-evaluate-flag': {
    entry: 'lambdas/handlers/ofrep-evaluate-flag.ts',
    tableAccess: 'read',
    description: 'OpenFeature: one flag for one org',
  },
  'ofrep-evaluate-flags': {
    entry: 'lambdas/handlers/ofrep-evaluate-flags.ts',
    tableAccess: 'read',
    description: "OpenFeature: an org's flags, with its ETag",
  },
  'list-orgs': {
    entry: 'lambdas/handlers/list-orgs.ts',
    tableAccess: 'read',
    tableIndexes: ['orgs'],
    description: 'Orgs by id prefix',
  },
  'list-flag-orgs': {
    entry: 'lambdas/handlers/list-flag-orgs.ts',
    tableAccess: 'read',
    tableIndexes: ['by-flag', 'orgs'],
    description: "Every org's state of one flag",
  },
  'get-org-flag': {
    entry: 'lambdas/handlers/get-org-flag.ts',
    tableAccess: 'read',
    description: 'One flag of one org',
  },
  'get-org-history': {
    entry: 'lambdas/handlers/get-org-history.ts',
    tableAccess: 'read',
    description: "One org's change history",
  },
  'get-flag-history': {
    entry: 'lambdas/handlers/get-flag-history.ts',
    tableAccess: 'read',
    tableIndexes: ['by-flag'],
    description: "One flag's change history across orgs",
  },
  'bulk-set-flag': {
    entry: 'lambdas/handlers/bulk-set-flag.ts',
    tableAccess: 'read-write',
    description: 'Set one flag for many orgs',
  },
  'set-org-flag': {
    entry: 'lambdas/handlers/set-org-flag.ts',
    tableAccess: 'read-write',
    description: 'Set one flag of one org',
  },
  'provision-org': {
    entry: 'lambdas/handlers/provision-org.ts',
    tableAccess: 'read-write',
    description: 'Backfill an existing org',
  },
  'get-org': {
    entry: 'lambdas/handlers/get-org.ts',
    tableAccess: 'read',
    description: 'One org record',
  },
  'set-org-attributes': {
    entry: 'lambdas/handlers/set-org-attributes.ts',
    tableAccess: 'read-write',
    description: "Set an org's attributes",
  },
  'org-updated': {
    entry: 'lambdas/handlers/org-updated.ts',
    tableAccess: 'read-write',
    description: "Update an org's attributes on OrgUpdated",
  },
  'org-created': {
    entry: 'lambdas/handlers/org-created.ts',
    tableAccess: 'read-write',
    description: 'Provision orgs on OrgCreated',
  },
  'create-rollout': {
    entry: 'lambdas/handlers/create-rollout.ts',
    tableAccess: 'read-put',
    tablePartitions: ROLLOUTS_ONLY,
    description: 'Draft a rollout',
  },
  'list-rollouts': {
    entry: 'lambdas/handlers/list-rollouts.ts',
    tableAccess: 'read',
    tablePartitions: ROLLOUTS_AND_JOBS,
    description: 'List rollouts',
  },
  'get-rollout': {
    entry: 'lambdas/handlers/get-rollout.ts',
    tableAccess: 'read',
    tablePartitions: ROLLOUTS_AND_JOBS,
    description: 'One rollout with its preview',
  },
  'update-rollout': {
    entry: 'lambdas/handlers/update-rollout.ts',
    tableAccess: 'read-put',
    tablePartitions: ROLLOUTS_AND_JOBS,
    description: 'Edit a rollout before it starts',
  },
  'preview-rollout': {
    entry: 'lambdas/handlers/preview-rollout.ts',
    tableAccess: 'read-put',
    tablePartitions: ROLLOUTS_AND_JOBS,
    grants: ['start-jobs'],
    description: "Start a rollout's preview",
  },
  'list-rollout-orgs': {
    entry: 'lambdas/handlers/list-rollout-orgs.ts',
    tableAccess: 'read',
    description: "The orgs of a rollout's preview",
  },
  'start-job': {
    entry: 'lambdas/handlers/start-job.ts',
    tableAccess: 'read-put',
    tablePartitions: JOBS_ONLY,
    grants: ['start-jobs'],
    description: 'Start a job over all orgs',
  },
  'list-jobs': {
    entry: 'lambdas/handlers/list-jobs.ts',
    tableAccess: 'read',
    tablePartitions: JOBS_ONLY,
    description: 'List jobs',
  },
  'get-job': {
    entry: 'lambdas/handlers/get-job.ts',
    tableAccess: 'read',
    tablePartitions: JOBS_ONLY,
    description: 'One job with its progress',
  },
  'resume-job': {
    entry: 'lambdas/handlers/resume-job.ts',
    tableAccess: 'read-put',
    tablePartitions: JOBS_ONLY,
    grants: ['start-jobs'],
    description: 'Resume a failed job',
  },
  'job-worker': {
    entry: 'lambdas/handlers/job-worker.ts',
    tableAccess: 'read-write-delete',
    tableIndexes: ['orgs'],
    grants: ['write-exports'],
    timeoutSeconds: 300,
    description: 'One page of a job over all orgs',
  },
  'deploy-sync': {
    entry: 'lambdas/handlers/deploy-sync.ts',
    tableAccess: 'read-put',
    tablePartitions: JOBS_ONLY,
    grants: ['start-jobs'],
    description: 'Start a sync after each deploy',
  },
  'publish-changes': {
    entry: 'lambdas/handlers/publish-changes.ts',
    tableAccess: 'none',
    grants: ['read-stream', 'publish-events'],
    timeoutSeconds: 30,
    description: 'Publish FeatureFlagChanged for each committed change',
  },
} as const satisfies Record<RouteHandlerName, HandlerDeclaration> & Record<string, HandlerDeclaration>;

export type HandlerName = keyof typeof HANDLERS;

/** Seconds a function may run when its declaration names no timeout. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** Seconds the function may run: its declared timeout, or the default. */
export function timeoutSecondsOf(name: HandlerName): number {
  const declaration: HandlerDeclaration = HANDLERS[name];
  return declaration.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
}

/**
 * Absolute path of a handler's entry file. The CDK stack and the local stack take every function
 * from here, so this is where the registry is checked (it throws listing every error): the
 * functions take it as written (lambdas/shared/registry.ts), without checking it at each cold start.
 */
export function handlerEntryPath(name: HandlerName): string {
  loadRegistry();
  return path.join(PROJECT_ROOT, HANDLERS[name].entry);
}
