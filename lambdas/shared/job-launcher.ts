import { StepFunctionsLauncher } from '../adapters/step-functions-launcher.js';
import type { JobLauncher } from '../domain/job-store.js';
import { config } from './config.js';

let launcher: JobLauncher | undefined;

/**
 * The launcher of job runs (the Step Functions client), built on first use. Only the functions
 * that start jobs (they declare the `start-jobs` grant) import this module and pass it to
 * `appJobControl` (the local stack: `appJobDeps`), so no other function bundles the Step Functions client.
 */
export function appJobLauncher(): JobLauncher {
  if (!launcher) {
    const settings = config();
    if (!settings.jobStateMachineArn) throw new Error('Invalid configuration: JOB_STATE_MACHINE_ARN is not set');
    launcher = new StepFunctionsLauncher(settings.jobStateMachineArn, settings.stepFunctionsEndpoint);
  }
  return launcher;
}
