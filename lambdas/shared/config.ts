import * as z from 'zod/mini';
import '../../registry/zod-locale.js';

const envSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1, 'TABLE_NAME must name the flag table')),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  JOB_STATE_MACHINE_ARN: z.optional(z.string().check(z.startsWith('arn:', 'JOB_STATE_MACHINE_ARN must be an ARN'))),
  STEP_FUNCTIONS_ENDPOINT: z.optional(z.url()),
  EXPORT_BUCKET: z.optional(z.string().check(z.minLength(3))),
});

/** Settings every function reads from its environment. */
export interface Config {
  readonly tableName: string;
  readonly dynamoDbEndpoint: string | undefined;
  /** The state machine that runs jobs over all orgs (functions that start jobs). */
  readonly jobStateMachineArn: string | undefined;
  /** Points the Step Functions client at the local stack's engine. */
  readonly stepFunctionsEndpoint: string | undefined;
  /** The bucket orphan cleanup exports rows to before deleting them. */
  readonly exportBucket: string | undefined;
}

let cached: Config | undefined;

const eventsEnvSchema = z.object({
  EVENT_BUS_NAME: z.string().check(z.minLength(1, 'EVENT_BUS_NAME must name the org event bus')),
  EVENTBRIDGE_ENDPOINT: z.optional(z.url()),
});

/** Settings of the functions that publish to the org event bus. */
export interface EventsConfig {
  readonly eventBusName: string;
  /** Points the EventBridge client at the local stack's endpoint. */
  readonly eventBridgeEndpoint: string | undefined;
}

/** The validated settings of an event publisher (which has no table); throws naming every missing or bad variable. */
export function eventsConfig(env: NodeJS.ProcessEnv = process.env): EventsConfig {
  const parsed = eventsEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  return { eventBusName: parsed.data.EVENT_BUS_NAME, eventBridgeEndpoint: parsed.data.EVENTBRIDGE_ENDPOINT };
}

/** The validated environment; throws naming every missing or bad variable. */
export function config(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const result = {
    tableName: parsed.data.TABLE_NAME,
    dynamoDbEndpoint: parsed.data.DYNAMODB_ENDPOINT,
    jobStateMachineArn: parsed.data.JOB_STATE_MACHINE_ARN,
    stepFunctionsEndpoint: parsed.data.STEP_FUNCTIONS_ENDPOINT,
    exportBucket: parsed.data.EXPORT_BUCKET,
  };
  if (env === process.env) cached = result;
  return result;
}
