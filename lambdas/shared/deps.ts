import { loadRegistry, type Registry } from '../../registry/index.js';
import { documentClient } from '../adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../adapters/dynamodb-flag-store.js';
import { DynamoDbJobStore } from '../adapters/dynamodb-job-store.js';
import { FileExportSink, S3ExportSink } from '../adapters/export-sinks.js';
import { StepFunctionsLauncher } from '../adapters/step-functions-launcher.js';
import type { ExportSink, JobLauncher } from '../domain/job-store.js';
import type { Deps } from '../use-cases/flags.js';
import type { JobDeps } from '../use-cases/jobs.js';
import { config } from './config.js';
import { logger } from './powertools.js';

let registry: Registry | undefined;
let deps: Deps | undefined;
let jobs: JobDeps | undefined;
let jobStore: DynamoDbJobStore | undefined;

/** The job store alone, for functions that only read jobs (their bundles then hold no S3 or Step Functions client). */
export function appJobStore(): Pick<JobDeps, 'jobs'> {
  jobStore ??= new DynamoDbJobStore(documentClient(), config().tableName);
  return { jobs: jobStore };
}

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

/**
 * The job use cases' dependencies. The launcher and export sink are built on first use, so a
 * function that never starts a job or exports needs neither setting.
 */
export function appJobDeps(): JobDeps {
  if (jobs) return jobs;
  const settings = config();
  const fleet = new DynamoDbFlagStore(documentClient(), settings.tableName);
  let launcher: JobLauncher | undefined;
  let exports: ExportSink | undefined;
  jobs = {
    registry: appRegistry(),
    fleet,
    jobs: appJobStore().jobs,
    get launcher() {
      if (!settings.jobStateMachineArn) throw new Error('Invalid configuration: JOB_STATE_MACHINE_ARN is not set');
      launcher ??= new StepFunctionsLauncher(settings.jobStateMachineArn, settings.stepFunctionsEndpoint);
      return launcher;
    },
    get exports() {
      if (settings.exportBucket) exports ??= new S3ExportSink(settings.exportBucket);
      else if (settings.exportDir) exports ??= new FileExportSink(settings.exportDir);
      else throw new Error('Invalid configuration: neither EXPORT_BUCKET nor EXPORT_DIR is set');
      return exports;
    },
  };
  return jobs;
}
