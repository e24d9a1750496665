import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_STALE_DAYS } from '../../lambdas/domain/report.js';
import { PROJECT_ROOT } from '../project.js';

export type FlagsCommandName = 'sync' | 'orphans' | 'report';

export const USAGE: Readonly<Record<FlagsCommandName, string>> = {
  sync: `Usage: npm run flags:sync -- [--dry-run] [--force] [connection options]

Gives every org an explicit row for each registry flag it lacks, holding the registry
default of now (source: synced); never overwrites a row. Starts a sync job and shows
its progress until it ends.
  --dry-run   count the rows each org lacks; write nothing
  --force     also visit orgs already synced to this registry version`,
  orphans: `Usage: npm run flags:orphans -- [--apply] [connection options]
       npm run flags:orphans -- --import PATH [--table NAME] [--endpoint URL]

Reports rows whose key is retired or unknown (orphans), by key with counts. A dry run
unless --apply, which first exports every row it will delete (JSON Lines, the items as
stored) and then deletes exactly those rows.
  --apply           export, then delete the orphan rows
  --import PATH     restore an export: a .jsonl file, or a directory of them; a row is
                    written only where no row with its key exists. Every line must be a
                    flag row as exported, of a key not in the registry; one bad line
                    refuses the whole import before anything is written
  --table NAME      with --import: the table (default: the local stack's, TABLE_NAME);
                    naming a table without --endpoint writes to AWS with your credentials
  --endpoint URL    with --import: DynamoDB's endpoint (default: the local stack's)`,
  report: `Usage: npm run flags:report -- [--stale-days N] [--strict] [--registry-only] [connection options]

The stale-flag report: flags past cleanup_after; flags on for every org since longer
than N days (ready to remove or make permanent); flags off for every org; per flag,
the orgs that hold it back; orphan rows by key.
  --stale-days N     default ${DEFAULT_STALE_DAYS}
  --strict           exit 1 when a flag is past its cleanup_after date
  --gate STAGE       --strict when the stage's staleFlagGate in cdk.json is "fail";
                     only a warning when it is "warn" (the deploy workflow's gate)
  --registry-only    only what the registry says (past-due flags); reads no org and
                     needs no running service`,
};

export const CONNECTION_USAGE = `Connection options:
  --url URL      the API (default: the local stack, http://localhost:$PORT or 3000)
  --token TOKEN  an admin token (default: FLAGS_TOKEN; against the local stack, a local
                 admin token is made when neither is given)
  --json         print the finished job (or report) as JSON
  --no-wait      start the job, print its id and exit
  -h, --help     this text`;

const connectionSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: '--url must be an http:// or https:// URL' }),
  token: z.string().trim().min(1).optional(),
  json: z.boolean(),
  wait: z.boolean(),
});

export type Connection = z.infer<typeof connectionSchema>;

export type FlagsCommand =
  | { kind: 'sync'; connection: Connection; dryRun: boolean; force: boolean }
  | { kind: 'orphans'; connection: Connection; apply: boolean }
  | { kind: 'import'; path: string; table: string; endpoint: string | undefined }
  | {
      kind: 'report';
      connection: Connection;
      staleDays: number;
      strict: boolean;
      gate: string | undefined;
      registryOnly: boolean;
    };

export type ParsedFlagsArgs =
  | { kind: 'help'; usage: string }
  | { kind: 'error'; message: string; usage: string }
  | { kind: 'run'; command: FlagsCommand };

const staleDaysSchema = z.coerce
  .number({ error: '--stale-days must be a number' })
  .int('--stale-days must be a whole number')
  .min(1, '--stale-days must be at least 1')
  .max(3650, '--stale-days must be at most 3650');

/** Parses `flags:<name>` arguments. Never throws. */
export function parseFlagsArgs(
  name: FlagsCommandName,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ParsedFlagsArgs {
  const usage = `${USAGE[name]}\n\n${CONNECTION_USAGE}`;
  const fail = (message: string): ParsedFlagsArgs => ({ kind: 'error', message, usage });
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
        ...(name === 'sync'
          ? { 'dry-run': { type: 'boolean', default: false }, force: { type: 'boolean', default: false } }
          : {}),
        ...(name === 'orphans'
          ? {
              apply: { type: 'boolean', default: false },
              import: { type: 'string' },
              table: { type: 'string' },
              endpoint: { type: 'string' },
            }
          : {}),
        ...(name === 'report'
          ? {
              'stale-days': { type: 'string' },
              strict: { type: 'boolean', default: false },
              gate: { type: 'string' },
              'registry-only': { type: 'boolean', default: false },
            }
          : {}),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { kind: 'help', usage };

  if (name === 'orphans' && values.import !== undefined) {
    if (values.apply) return fail('--import and --apply do not go together');
    const endpoint =
      (values.endpoint as string | undefined) ??
      (values.table === undefined ? `http://127.0.0.1:${env.DYNAMODB_PORT || 8000}` : undefined);
    if (endpoint !== undefined && !z.url().safeParse(endpoint).success) return fail('--endpoint must be a URL');
    return {
      kind: 'run',
      command: {
        kind: 'import',
        path: path.resolve(String(values.import)),
        table: (values.table as string | undefined) ?? (env.TABLE_NAME || 'org-feature-flags'),
        endpoint,
      },
    };
  }
  if (values.table !== undefined || values.endpoint !== undefined)
    return fail('--table and --endpoint go with --import');

  const connection = connectionSchema.safeParse({
    url: (values.url as string | undefined) ?? `http://localhost:${env.PORT || 3000}`,
    token: (values.token as string | undefined) ?? (env.FLAGS_TOKEN || undefined),
    json: values.json === true,
    wait: values['no-wait'] !== true,
  });
  if (!connection.success) return fail(z.prettifyError(connection.error));

  switch (name) {
    case 'sync':
      return {
        kind: 'run',
        command: {
          kind: 'sync',
          connection: connection.data,
          dryRun: values['dry-run'] === true,
          force: values.force === true,
        },
      };
    case 'orphans':
      return { kind: 'run', command: { kind: 'orphans', connection: connection.data, apply: values.apply === true } };
    case 'report': {
      const staleDays = staleDaysSchema.safeParse(values['stale-days'] ?? DEFAULT_STALE_DAYS);
      if (!staleDays.success) return fail(z.prettifyError(staleDays.error));
      return {
        kind: 'run',
        command: {
          kind: 'report',
          connection: connection.data,
          staleDays: staleDays.data,
          strict: values.strict === true,
          gate: values.gate as string | undefined,
          registryOnly: values['registry-only'] === true,
        },
      };
    }
  }
}

/** The local stack's data directory, where its signing key is. */
export function localDataDir(env: NodeJS.ProcessEnv): string {
  return path.resolve(PROJECT_ROOT, env.DATA_DIR || '.data');
}
