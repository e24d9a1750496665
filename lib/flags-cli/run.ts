import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFlagStore } from '../../lambdas/adapters/dynamodb-flag-store.js';
import { exportedFlagRows } from '../../lambdas/adapters/exported-flag-rows.js';
import type { JobType, JobView } from '../../lambdas/domain/jobs.js';
import { emptyReportState, finishReport, type StaleReport } from '../../lambdas/domain/report.js';
import { importOrphanExport, type ExportLine } from '../../lambdas/use-cases/jobs.js';
import { loadRegistry } from '../../registry/index.js';
import { stageConfig } from '../config/stage-config.js';
import { loadOrCreateKeys, signToken } from '../local/auth.js';
import { PROJECT_ROOT } from '../project.js';
import { localDynamoDbClientConfig } from '../local/dynamodb-local.js';
import { createSmokeHttp, type SmokeHttp } from '../smoke/http.js';
import { localDataDir, type Connection, type FlagsCommand } from './options.js';
import { formatJobSummary, formatReport, progressLine } from './format.js';

/** Where the command writes: lines for people (stdout), progress (stderr, rewritten in place on a terminal). */
export interface Output {
  line(text: string): void;
  progress(text: string): void;
  readonly interactive: boolean;
}

const POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 30_000;

/** Runs a parsed `flags:*` command; resolves to the exit status. */
export async function runFlagsCommand(command: FlagsCommand, env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  switch (command.kind) {
    case 'import':
      return runImport(command, out);
    case 'report': {
      const strict = command.strict || gateFails(command.gate, out);
      if (command.registryOnly) {
        const report = finishReport(emptyReportState(), loadRegistry(), {
          now: new Date(),
          staleDays: command.staleDays,
          includesOrgs: false,
        });
        return finishReportCommand(report, command.connection, strict, out);
      }
      // The report is the output: in full, or as JSON instead of the job.
      return runJob(command.connection, 'report', { stale_days: command.staleDays }, env, out, (job) => {
        if (!command.connection.json) printSummary(job, out);
        const result = job.result;
        if (job.status !== 'succeeded' || result?.type !== 'report') return 1;
        return finishReportCommand(result.report, command.connection, strict, out);
      });
    }
    case 'sync':
      return runJob(command.connection, 'sync', { dry_run: command.dryRun, force: command.force }, env, out);
    case 'orphans':
      return runJob(command.connection, 'orphan-cleanup', { dry_run: !command.apply }, env, out);
  }
}

function finishReportCommand(report: StaleReport, connection: Connection, strict: boolean, out: Output): number {
  if (connection.json) out.line(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) out.line(line);
  if (report.past_due.length === 0) return 0;
  const pastDue = `${report.past_due.length} flag(s) past their cleanup_after date: ${report.past_due.join(', ')}`;
  out.line(strict ? `strict: ${pastDue}` : `warning: ${pastDue}`);
  return strict ? 1 : 0;
}

/** Whether a stage's stale-flag gate (cdk.json) fails on past-due flags. */
function gateFails(stage: string | undefined, out: Output): boolean {
  if (stage === undefined) return false;
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: { stages?: unknown };
  };
  const { staleFlagGate } = stageConfig(stage, cdkJson.context?.stages);
  out.line(`Stale-flag gate of stage ${stage}: ${staleFlagGate} (staleFlagGate in cdk.json)`);
  return staleFlagGate === 'fail';
}

/** The token to send: the one given, or, against the local stack only, a fresh local admin token. */
async function tokenFor(connection: Connection, env: NodeJS.ProcessEnv): Promise<string> {
  if (connection.token) return connection.token;
  const host = new URL(connection.url).hostname;
  if (!['localhost', '127.0.0.1', '[::1]'].includes(host)) {
    throw new Error(`an admin token is needed for ${connection.url}: pass --token or set FLAGS_TOKEN`);
  }
  return signToken(await loadOrCreateKeys(localDataDir(env)), { role: 'admin', subject: 'flags-cli' });
}

function printSummary(job: JobView, out: Output): void {
  for (const line of formatJobSummary(job)) out.line(line);
}

/**
 * Starts a job (or, when one of the same type is already running, follows that one), then polls
 * it until it ends, showing progress; `finish` prints what it ended with and gives the exit
 * status (by default the job itself, as JSON with `--json`, and 0 when it succeeded).
 */
async function runJob(
  connection: Connection,
  type: JobType,
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  out: Output,
  finish: (job: JobView) => number = (job) => {
    if (connection.json) out.line(JSON.stringify(job, null, 2));
    else printSummary(job, out);
    return job.status === 'succeeded' ? 0 : 1;
  },
): Promise<number> {
  const http = createSmokeHttp(connection.url, REQUEST_TIMEOUT_MS);
  const token = await tokenFor(connection, env);
  const started = await http.request('POST', `/jobs/${type}`, { token, body: JSON.stringify(options) });
  let job: JobView;
  if (started.status === 202) job = started.json as JobView;
  else if (started.status === 409 && errorOf(started.json).code === 'job_running') {
    const running = String(errorOf(started.json).job_id);
    out.line(`A ${type} job is already running (${running}); following it.`);
    job = await getJob(http, token, running);
  } else
    throw new Error(`POST /jobs/${type} answered ${started.status}: ${errorOf(started.json).message ?? started.text}`);

  if (!connection.wait) {
    out.line(job.job_id);
    return 0;
  }
  out.line(`${type} job ${job.job_id} started${job.options.dry_run === true ? ' (dry run)' : ''}.`);
  const begun = Date.now();
  const firstDone = job.progress.orgs_done;
  while (job.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await getJob(http, token, job.job_id);
    out.progress(
      progressLine(job, (job.progress.orgs_done - firstDone) / Math.max((Date.now() - begun) / 1000, 0.001)),
    );
  }
  out.progress('');
  return finish(job);
}

async function getJob(http: SmokeHttp, token: string, jobId: string): Promise<JobView> {
  const response = await http.request('GET', `/jobs/${jobId}`, { token });
  if (response.status !== 200)
    throw new Error(
      `GET /jobs/${jobId} answered ${response.status}: ${errorOf(response.json).message ?? response.text}`,
    );
  return response.json as JobView;
}

function errorOf(body: unknown): { code?: string; message?: string; job_id?: unknown } {
  return ((body as { error?: object } | undefined)?.error ?? {}) as { code?: string; message?: string };
}

/**
 * Restores an orphan export (a file or a directory of .jsonl files), never overwriting a row; every
 * line is checked against the registry of this checkout before anything is written.
 */
async function runImport(command: Extract<FlagsCommand, { kind: 'import' }>, out: Output): Promise<number> {
  const files = (await stat(command.path)).isDirectory()
    ? (await readdir(command.path))
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
        .map((name) => path.join(command.path, name))
    : [command.path];
  const lines: ExportLine[] = [];
  for (const file of files) {
    (await readFile(file, 'utf8')).split('\n').forEach((text, index) => {
      if (text.trim() !== '') lines.push({ where: `${file}:${index + 1}`, file: path.basename(file), text });
    });
  }
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient(command.endpoint ? localDynamoDbClientConfig(command.endpoint) : {}),
  );
  try {
    const { restored, present } = await importOrphanExport(
      { registry: loadRegistry(), fleet: new DynamoDbFlagStore(client, command.table), exported: exportedFlagRows },
      lines,
      { now: new Date() },
    );
    out.line(
      `Imported ${files.length} file(s) into ${command.table}: ${restored} row(s) restored, ${present} already present (left as they are).`,
    );
    return 0;
  } finally {
    client.destroy();
  }
}
