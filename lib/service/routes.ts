import { SCOPES } from '../../lambdas/domain/caller.js';
import type { HandlerName } from './handlers.js';

/** One HTTP API route: method, path template (API Gateway syntax), handler and required scopes. */
export interface RouteDeclaration {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: HandlerName;
  /** Any one of these scopes admits the caller; an empty list means the route is open. */
  readonly scopes: readonly string[];
}

const ANY_ROLE = [SCOPES.admin, SCOPES.service, SCOPES.org];
const ADMIN = [SCOPES.admin];

/** Every route of the API, declared once for the CDK stack and the local server. */
export const ROUTES: readonly RouteDeclaration[] = [
  { method: 'GET', path: '/health', handler: 'health', scopes: [] },
  { method: 'GET', path: '/feature-flags', handler: 'list-flags', scopes: ANY_ROLE },
  { method: 'GET', path: '/org-feature-flags/{org_id}', handler: 'get-org-flags', scopes: ANY_ROLE },
  { method: 'POST', path: '/org-feature-flags', handler: 'set-org-flag', scopes: ADMIN },
  { method: 'POST', path: '/orgs/{org_id}/provision', handler: 'provision-org', scopes: ADMIN },
  { method: 'GET', path: '/jobs', handler: 'list-jobs', scopes: ADMIN },
  { method: 'POST', path: '/jobs/{type}', handler: 'start-job', scopes: ADMIN },
  { method: 'GET', path: '/jobs/{job_id}', handler: 'get-job', scopes: ADMIN },
  { method: 'POST', path: '/jobs/{job_id}/resume', handler: 'resume-job', scopes: ADMIN },
];

/** API Gateway's route key, e.g. `GET /org-feature-flags/{org_id}`. */
export function routeKey(route: RouteDeclaration): string {
  return `${route.method} ${route.path}`;
}
