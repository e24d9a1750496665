import type { MergedFlag } from '../../lambdas/domain/flags.js';
import { loadRegistry, type FlagDefinition } from '../../registry/index.js';

/** The merged view's item, as the API returns it. */
export type MergedFlagBody = MergedFlag;

/** Body of `GET /org-feature-flags/{org_id}`. */
export interface OrgFlagsBody {
  org_id: string;
  registry_version: string;
  provisioned_registry_version: string;
  synced_registry_version: string | null;
  flags: MergedFlagBody[];
}

/** Body of `POST /org-feature-flags`. */
export interface SetFlagResponseBody {
  org_id: string;
  changed: boolean;
  previous_enabled: boolean;
  flag: MergedFlagBody;
}

/** Error body of every route. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export const registry = loadRegistry();

/** A flag org tokens may see, and an internal-only one; the tests need the registry to hold both. */
export function publicFlag(): FlagDefinition {
  const flag = registry.flags.find((f) => !f.internal_only);
  if (!flag) throw new Error('the registry has no flag an org may see');
  return flag;
}

export function internalFlag(): FlagDefinition {
  const flag = registry.flags.find((f) => f.internal_only);
  if (!flag) throw new Error('the registry has no internal-only flag');
  return flag;
}

export function flagByKey(flags: readonly MergedFlagBody[], key: string): MergedFlagBody {
  const flag = flags.find((f) => f.key === key);
  if (!flag) throw new Error(`flag '${key}' is not in the response`);
  return flag;
}
