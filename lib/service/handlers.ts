import path from 'node:path';
import { PROJECT_ROOT } from '../project.js';

/** What a function may do to the flag table; the stack grants exactly this and nothing more. */
export type TableAccess = 'none' | 'read' | 'read-write' | 'read-write-delete';

/** Access beyond the table: starting runs of the job state machine, writing orphan exports. */
export type ExtraGrant = 'start-jobs' | 'write-exports';

/** One Lambda handler: its source entry (exporting `handler`) and the access it needs. */
export interface HandlerDeclaration {
  readonly entry: string;
  readonly tableAccess: TableAccess;
  /** Indexes of the flag table the function queries; it may Query them and do nothing else there. */
  readonly tableIndexes?: readonly string[];
  readonly grants?: readonly ExtraGrant[];
  /** Seconds a run may take; 10 unless said. */
  readonly timeoutSeconds?: number;
  readonly description: string;
}

/** Every function of the service, by name. The CDK stack deploys one function per entry. */
export const HANDLERS = {
  health: { entry: 'lambdas/handlers/health.ts', tableAccess: 'none', description: 'Readiness check' },
  'list-flags': { entry: 'lambdas/handlers/list-flags.ts', tableAccess: 'none', description: 'The flag registry' },
  'get-org-flags': { entry: 'lambdas/handlers/get-org-flags.ts', tableAccess: 'read', description: "One org's merged flags" },
  'set-org-flag': { entry: 'lambdas/handlers/set-org-flag.ts', tableAccess: 'read-write', description: 'Set one flag of one org' },
  'provision-org': { entry: 'lambdas/handlers/provision-org.ts', tableAccess: 'read-write', description: 'Backfill an existing org' },
  'org-created': { entry: 'lambdas/handlers/org-created.ts', tableAccess: 'read-write', description: 'Provision orgs on OrgCreated' },
  'start-job': { entry: 'lambdas/handlers/start-job.ts', tableAccess: 'read-write', grants: ['start-jobs'], description: 'Start a job over all orgs' },
  'list-jobs': { entry: 'lambdas/handlers/list-jobs.ts', tableAccess: 'read', description: 'List jobs' },
  'get-job': { entry: 'lambdas/handlers/get-job.ts', tableAccess: 'read', description: 'One job with its progress' },
  'resume-job': { entry: 'lambdas/handlers/resume-job.ts', tableAccess: 'read-write', grants: ['start-jobs'], description: 'Resume a failed job' },
  'job-worker': {
    entry: 'lambdas/handlers/job-worker.ts',
    tableAccess: 'read-write-delete',
    tableIndexes: ['orgs'],
    grants: ['write-exports'],
    timeoutSeconds: 300,
    description: 'One page of a job over all orgs',
  },
  'deploy-sync': { entry: 'lambdas/handlers/deploy-sync.ts', tableAccess: 'read-write', grants: ['start-jobs'], description: 'Start a sync after each deploy' },
} as const satisfies Record<string, HandlerDeclaration>;

export type HandlerName = keyof typeof HANDLERS;


/** Absolute path of a handler's entry file. */
export function handlerEntryPath(name: HandlerName): string {
  return path.join(PROJECT_ROOT, HANDLERS[name].entry);
}
