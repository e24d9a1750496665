import { documentClient } from '../adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../adapters/dynamodb-flag-store.js';
import { DynamoDbJobStore } from '../adapters/dynamodb-job-store.js';
import { DynamoDbRolloutStore } from '../adapters/dynamodb-rollout-store.js';
import type { ExportSink, JobLauncher } from '../domain/job-store.js';
import type { Deps } from '../use-cases/flags.js';
import type { JobControlDeps, JobDeps } from '../use-cases/jobs.js';
import { config } from './config.js';
import { appRegistry } from './registry.js';

let deps: Deps | undefined;
let jobs: JobDeps | undefined;
let jobStore: DynamoDbJobStore | undefined;

/** The job store alone, for functions that only read jobs (their bundles then hold no S3 or Step Functions client). */
export function appJobStore(): Pick<JobDeps, 'jobs'> {
  jobStore ??= new DynamoDbJobStore(documentClient(), config().tableName);
  return { jobs: jobStore };
}

/** The registry and the flag store, built once per process; fails fast on bad configuration. */
export function appDeps(): Deps {
  deps ??= { registry: appRegistry(), store: new DynamoDbFlagStore(documentClient(), config().tableName) };
  return deps;
}

/**
 * What some job functions need beyond the table, each built by its own module so that only the
 * functions that use it bundle its client: `appJobLauncher` (lambdas/shared/job-launcher.ts) for
 * the functions that start jobs, `appExportSink` (lambdas/shared/export-sink.ts) for the job worker.
 */
export interface JobParts {
  readonly launcher?: () => JobLauncher;
  readonly exports?: () => ExportSink;
}

let control: JobControlDeps | undefined;

/**
 * What the functions that start or resume jobs need (`appJobLauncher` as `launcher`): the
 * registry, the job store and the launcher, built on first use as in {@link appJobDeps}; no flag
 * store, so their bundles hold none.
 */
export function appJobControl(launcher: () => JobLauncher): JobControlDeps {
  control ??= {
    registry: appRegistry(),
    jobs: appJobStore().jobs,
    get launcher() {
      return launcher();
    },
  };
  return control;
}

let launcherOf: (() => JobLauncher) | undefined;
let exportsOf: (() => ExportSink) | undefined;

/**
 * The job use cases' dependencies, built once per process. The launcher and export sink are the
 * `parts` a caller passes, each built on first use, so a function that never starts a job or
 * exports needs neither setting; using one that no caller passed throws. The first part of each
 * kind given is kept: the local stack, which runs every function in one process, gives its own
 * (the directory export sink) before it loads any handler.
 */
export function appJobDeps(parts: JobParts = {}): JobDeps {
  launcherOf ??= parts.launcher;
  exportsOf ??= parts.exports;
  if (jobs) return jobs;
  jobs = {
    registry: appRegistry(),
    fleet: new DynamoDbFlagStore(documentClient(), config().tableName),
    jobs: appJobStore().jobs,
    rollouts: new DynamoDbRolloutStore(documentClient(), config().tableName),
    get launcher() {
      if (!launcherOf)
        throw new Error('This function cannot start jobs: appJobDeps was given no launcher (appJobLauncher)');
      return launcherOf();
    },
    get exports() {
      if (!exportsOf)
        throw new Error('This function cannot export rows: appJobDeps was given no export sink (appExportSink)');
      return exportsOf();
    },
  };
  return jobs;
}
