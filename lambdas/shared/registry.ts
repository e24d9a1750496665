import { loadRegistry, type Registry } from '../../registry/index.js';
import { logger } from './powertools.js';

// Apart from lambdas/shared/deps.ts, so that a function that never touches the table (health,
// list-flags) bundles and loads no DynamoDB client or adapter.

let registry: Registry | undefined;

/** The registry, validated once per process; flags past their cleanup date are logged then. */
export function appRegistry(): Registry {
  if (!registry) {
    registry = loadRegistry();
    for (const warning of registry.warnings) logger.warn('Registry flag is past its cleanup date', { warning });
  }
  return registry;
}
