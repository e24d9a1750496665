import { FLAGS } from '../../registry/flags.js';
import { registryOf, type Registry } from '../../registry/registry.js';
import { RETIRED } from '../../registry/retired.js';
import { logger } from './powertools.js';

// Apart from lambdas/shared/deps.ts, so that a function that never touches the table (health,
// list-flags) bundles and loads no DynamoDB client or adapter.
//
// The registry is code, checked where a function is built or started (the CDK stack and the local
// stack both take its entry from `handlerEntryPath`, lib/service/handlers.ts, which checks it) and
// in the tests; a function takes it as written and does not check it again at every cold start.

let registry: Registry | undefined;

/** The registry, built once per process; flags past their cleanup date are logged then. */
export function appRegistry(): Registry {
  if (!registry) {
    registry = registryOf(FLAGS, RETIRED);
    for (const warning of registry.warnings) logger.warn('Registry flag is past its cleanup date', { warning });
  }
  return registry;
}
