import { documentClient } from '../adapters/dynamodb-client.js';
import { DynamoDbRolloutStore } from '../adapters/dynamodb-rollout-store.js';
import type { JobLauncher } from '../domain/job-store.js';
import type { RolloutDeps } from '../use-cases/rollouts.js';
import { config } from './config.js';
import { appJobStore } from './deps.js';
import { appRegistry } from './registry.js';

let deps: RolloutDeps | undefined;
let launcherOf: (() => JobLauncher) | undefined;

/**
 * The rollout use cases' dependencies, built once per process. Only the functions that start a
 * rollout's jobs pass `launcher` (`appJobLauncher`), so the others bundle no Step Functions client;
 * using the launcher where none was given throws.
 */
export function appRolloutDeps(launcher?: () => JobLauncher): RolloutDeps {
  launcherOf ??= launcher;
  deps ??= {
    registry: appRegistry(),
    jobs: appJobStore().jobs,
    rollouts: new DynamoDbRolloutStore(documentClient(), config().tableName),
    get launcher() {
      if (!launcherOf) throw new Error('This function cannot start jobs: appRolloutDeps was given no launcher');
      return launcherOf();
    },
  };
  return deps;
}
