import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConflictError } from '../../lambdas/domain/errors.js';
import { DEFAULT_ORG_EVENT_SOURCE } from '../../lambdas/domain/events.js';
import { appJobDeps } from '../../lambdas/shared/deps.js';
import { appJobLauncher } from '../../lambdas/shared/job-launcher.js';
import { startJob, type JobDeps } from '../../lambdas/use-cases/jobs.js';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../service/handlers.js';
import { ROUTES } from '../../lambdas/http/routes.js';
import { eventRules } from '../service/rules.js';
import { ADMIN_PATH, prepareAdminUi } from './admin-ui.js';
import { loadOrCreateKeys } from './auth.js';
import { startChangeStream, type LocalChangeStream, type StreamTarget } from './change-stream.js';
import { EVENT_LOG_FILE, EventLog } from './event-log.js';
import { FileExportSink } from './file-export-sink.js';
import { recoverInterruptedJobs } from './job-recovery.js';
import { claimDataDir } from './stale-engine.js';
import { CHANGE_EVENTS_STREAM } from '../service/streams.js';
import { ensureDynamoDbLocal, ensureTable, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalEventBus, type EventTarget } from './event-bus.js';
import { LocalJobEngine, type JobWorker } from './job-engine.js';
import { freePort } from './ports.js';
import { startLocalServer, type HttpTarget } from './server.js';
import { PROJECT_ROOT } from '../project.js';
import { JOB_MACHINE, LOCAL_JOB_STATE_MACHINE_ARN } from '../service/jobs.js';

/** The bus name the local publisher sends to; the local bus routes every bus name alike. */
const LOCAL_EVENT_BUS_NAME = 'org-feature-flags-local';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(['1', '0', 'true', 'false', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true');

const settingsSchema = z.object({
  PORT: port.default(3000),
  DYNAMODB_PORT: port.default(8000),
  DATA_DIR: z.string().min(1).default('.data'),
  DYNAMODB_IN_MEMORY: flag,
  TABLE_NAME: z.string().min(3).max(255).default('org-feature-flags'),
  ORG_EVENT_SOURCE: z.string().min(1).default(DEFAULT_ORG_EVENT_SOURCE),
  HOST: z.string().min(1).default('127.0.0.1'),
  CORS_ALLOW_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.union([z.url(), z.literal('*')]))),
});

/** Settings of the local stack, from the environment (names as in the README). */
export interface LocalStackSettings {
  readonly port: number;
  readonly dynamoDbPort: number;
  /** Absolute path; DynamoDB data, the signing key and dead letters live here. */
  readonly dataDir: string;
  readonly inMemory: boolean;
  readonly tableName: string;
  readonly orgEventSource: string;
  readonly host: string;
  /** Browser origins the API admits (CORS), as a stage's `corsAllowOrigins`; the admin UI is served from the API's own origin. */
  readonly corsAllowOrigins: readonly string[];
}

/** Reads and validates the local stack's settings; throws naming each bad variable. */
export function localSettings(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = []): LocalStackSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid settings:\n${z.prettifyError(parsed.error)}`);
  }
  const s = parsed.data;
  return {
    port: s.PORT,
    dynamoDbPort: s.DYNAMODB_PORT,
    dataDir: path.resolve(PROJECT_ROOT, s.DATA_DIR),
    inMemory: s.DYNAMODB_IN_MEMORY || args.includes('--in-memory'),
    tableName: s.TABLE_NAME,
    orgEventSource: s.ORG_EVENT_SOURCE,
    host: s.HOST,
    corsAllowOrigins: s.CORS_ALLOW_ORIGINS,
  };
}

/** A running local stack. */
export interface LocalStack {
  readonly url: string;
  /** The admin UI (`/admin/`). */
  readonly adminUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly settings: LocalStackSettings;
  readonly bus: LocalEventBus;
  readonly jobs: LocalJobEngine;
  readonly deadLetterFile: string;
  /** Where orphan cleanup exports the rows it deletes. */
  readonly exportDir: string;
  /** Every event put on the local bus, one JSON line each (`npm run -s events:tail`). */
  readonly eventLogFile: string;
  /** The reader of the table's stream that publishes `FeatureFlagChanged`. */
  readonly changes: LocalChangeStream;
  /** Settles once the jobs of the start (interrupted jobs taken up, the sync started) are under way. */
  readonly startupJobs: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the whole service on this machine: DynamoDB Local with the declared table, then the
 * real handlers behind the local API Gateway, JWT authorizer and EventBridge endpoint.
 */
export async function startLocalStack(
  settings: LocalStackSettings,
  log: (line: string) => void = () => undefined,
): Promise<LocalStack> {
  await ensureDynamoDbLocal();
  const dbPath = path.join(settings.dataDir, 'dynamodb');
  const release = settings.inMemory ? async () => undefined : await claimDataDir(settings.dataDir, dbPath, log);
  const dynamo = await startDynamoDbLocal(
    settings.inMemory
      ? { port: settings.dynamoDbPort, inMemory: true }
      : { port: settings.dynamoDbPort, dataDir: dbPath },
  ).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  try {
    await ensureTable(dynamo.endpoint, settings.tableName);
    const port = settings.port || (await freePort());
    const exportDir = path.join(settings.dataDir, 'exports');
    process.env.TABLE_NAME = settings.tableName;
    process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    process.env.JOB_STATE_MACHINE_ARN = LOCAL_JOB_STATE_MACHINE_ARN;
    process.env.STEP_FUNCTIONS_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.EVENT_BUS_NAME = LOCAL_EVENT_BUS_NAME;
    process.env.EVENTBRIDGE_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.AWS_REGION ??= 'local';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

    // Every function runs in this process: the job functions start runs on the local engine and
    // export to the data directory. Given before any handler is loaded, these parts are the ones kept.
    const exports = new FileExportSink(exportDir);
    const jobDeps = appJobDeps({ launcher: appJobLauncher, exports: () => exports });
    const handlers = await loadHandlers();
    const deadLetterFile = path.join(settings.dataDir, 'dead-letters.jsonl');
    const eventLogFile = path.join(settings.dataDir, EVENT_LOG_FILE);
    const bus = new LocalEventBus({
      rules: eventRules({ orgEventSource: settings.orgEventSource }),
      targets: handlers as Record<string, EventTarget>,
      deadLetterFile,
      log,
      eventLog: new EventLog(eventLogFile, log),
    });
    const jobs = new LocalJobEngine({
      stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
      machine: JOB_MACHINE,
      worker: handlers[JOB_MACHINE.worker] as JobWorker,
      log,
    });
    const keys = await loadOrCreateKeys(settings.dataDir, log);
    const adminUi = await prepareAdminUi({ keys, log });
    const server = await startLocalServer({
      port,
      host: settings.host,
      corsAllowOrigins: settings.corsAllowOrigins,
      routes: ROUTES,
      handlers: handlers as Record<HandlerName, HttpTarget>,
      keys,
      bus,
      jobs,
      adminUi,
      log,
    });
    // In memory, the stream is new at every start: there is no position worth keeping.
    const changes = await startChangeStream({
      endpoint: dynamo.endpoint,
      tableName: settings.tableName,
      consumer: CHANGE_EVENTS_STREAM,
      handler: handlers[CHANGE_EVENTS_STREAM.target] as StreamTarget,
      ...(settings.inMemory ? {} : { checkpointFile: path.join(settings.dataDir, 'change-stream.json') }),
      failureFile: path.join(settings.dataDir, 'change-event-failures.jsonl'),
      log,
    }).catch(async (error: unknown) => {
      await jobs.stop();
      await server.close();
      throw error;
    });
    return {
      url: server.url,
      adminUrl: `${server.url}${ADMIN_PATH}`,
      dynamoDbEndpoint: dynamo.endpoint,
      settings,
      bus,
      jobs,
      deadLetterFile,
      exportDir,
      eventLogFile,
      changes,
      startupJobs: startupJobs(jobDeps, log),
      stop: async () => {
        await changes.stop();
        await jobs.stop();
        await server.close();
        await bus.idle();
        await dynamo.stop();
        await release();
      },
    };
  } catch (error) {
    await dynamo.stop();
    await release();
    throw error;
  }
}

/**
 * What a deploy does in AWS, done at each start: jobs a stop interrupted continue from their
 * checkpoints, and a sync gives every org a row for each flag added since (unless a sync of this
 * registry was just taken up). Runs in the background; problems are logged, never fatal.
 */
async function startupJobs(deps: JobDeps, log: (line: string) => void): Promise<void> {
  try {
    const { restarted, abandoned } = await recoverInterruptedJobs(deps, { now: new Date() });
    for (const job of restarted) log(`[jobs] ${job.id}: interrupted by the last stop; continuing from its checkpoint`);
    for (const job of abandoned)
      log(`[jobs] ${job.id}: interrupted, and the registry has changed since; marked failed`);
    const job = await startJob(
      deps,
      'sync',
      { dry_run: false, force: false },
      { actor: 'local-stack', now: new Date() },
    );
    log(`[jobs] ${job.id}: sync started, giving every org a row for each registry flag`);
  } catch (error) {
    if (error instanceof ConflictError && error.code === 'job_running') return;
    log(`[jobs] the sync at start failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Imports every declared handler, as Lambda would load each function's entry. */
async function loadHandlers(): Promise<Record<HandlerName, unknown>> {
  const names = Object.keys(HANDLERS) as HandlerName[];
  const modules = await Promise.all(
    names.map((name) => import(pathToFileURL(handlerEntryPath(name)).href) as Promise<{ handler: unknown }>),
  );
  return Object.fromEntries(names.map((name, index) => [name, modules[index]?.handler])) as Record<
    HandlerName,
    unknown
  >;
}
