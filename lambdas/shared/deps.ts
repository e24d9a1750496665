import { loadRegistry } from '../../registry/index.js';
import { documentClient } from '../adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../adapters/dynamodb-flag-store.js';
import type { Deps } from '../use-cases/flags.js';
import { config } from './config.js';
import { logger } from './powertools.js';

let deps: Deps | undefined;

/** The registry and the flag store, built once per process; fails fast on bad configuration. */
export function appDeps(): Deps {
  if (!deps) {
    const registry = loadRegistry();
    for (const warning of registry.warnings) logger.warn('Registry flag is past its cleanup date', { warning });
    deps = { registry, store: new DynamoDbFlagStore(documentClient(), config().tableName) };
  }
  return deps;
}
