import path from 'node:path';
import { PROJECT_ROOT } from '../project.js';

/** What a function may do to the flag table; the stack grants exactly this and nothing more. */
export type TableAccess = 'none' | 'read' | 'read-write';

/** One Lambda handler: its source entry (exporting `handler`) and the table access it needs. */
export interface HandlerDeclaration {
  readonly entry: string;
  readonly tableAccess: TableAccess;
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
} as const satisfies Record<string, HandlerDeclaration>;

export type HandlerName = keyof typeof HANDLERS;


/** Absolute path of a handler's entry file. */
export function handlerEntryPath(name: HandlerName): string {
  return path.join(PROJECT_ROOT, HANDLERS[name].entry);
}
