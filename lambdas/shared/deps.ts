import { loadRegistry, type Registry } from '../../registry/index.js';
import { documentClient } from '../adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../adapters/dynamodb-flag-store.js';
import type { Deps } from '../use-cases/flags.js';
import { config } from './config.js';
import { logger } from './powertools.js';

let registry: Registry | undefined;
let deps: Deps | undefined;

/** The registry, validated once per process; flags past their cleanup date are logged then. */
export function appRegistry(): Registry {
  if (!registry) {
    registry = loadRegistry();
    for (const warning of registry.warnings) logger.warn('Registry flag is past its cleanup date', { warning });
  }
  return registry;
}

/** The registry and the flag store, built once per process; fails fast on bad configuration. */
export function appDeps(): Deps {
  deps ??= { registry: appRegistry(), store: new DynamoDbFlagStore(documentClient(), config().tableName) };
  return deps;
}
