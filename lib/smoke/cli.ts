import { parseArgs } from 'node:util';
import { z } from 'zod';
import { orgIdSchema } from '../../lambdas/domain/schemas.js';
import { ADMIN_UI_CHECK_NAMES, CHECK_NAMES, DEFAULT_ORG_ID, DEFAULT_TIMEOUT_MS } from './run.js';

export const USAGE = `Usage: npm run -s smoke -- --url URL [--ui-url URL] [--token TOKEN] [--org ORG_ID] [--timeout MS]

Smoke test of the main flows of a running org-feature-flags API: the local stack
(npm start) or a deployed stage behind API Gateway. Needs a platform admin token.

Options:
  --url URL       the API's base URL, with the stage path if there is one, e.g.
                  http://localhost:3000 or https://abc123.execute-api.eu-west-1.amazonaws.com/prod
                  (a trailing slash is fine)
  --ui-url URL    the admin UI's page, e.g. https://d111111abcdef8.cloudfront.net/admin/
                  (the stack's AdminUiUrl output) or http://localhost:3000/admin/;
                  its checks run after the API's
  --token TOKEN   an admin token; when absent, the SMOKE_TOKEN environment variable,
                  which keeps the token out of process lists
  --org ORG_ID    the org the smoke test provisions and writes to (default: ${DEFAULT_ORG_ID}).
                  Every run reuses it, so a stage holds at most this one smoke org; it is
                  never deleted (the API has no delete). Runs at the same time against one
                  org may fail with a version conflict: give each its own --org.
  --timeout MS    per request, in milliseconds (default: ${DEFAULT_TIMEOUT_MS})
  -h, --help      this text

Checks, in order: ${CHECK_NAMES.join(', ')};
with --ui-url also ${ADMIN_UI_CHECK_NAMES.join(', ')}.
It writes nothing outside its org: it provisions the org if it does not exist,
flips one non-internal flag and flips it back (the org ends as it began; its
history keeps both changes). Everything else only reads or is refused.

Prints "ok   <check> (12 ms)" or "FAIL <check>: <reason>" per check, then
"smoke: N passed, M failed". Exit status: 0 when every check passed, 1 when one
failed, 2 for bad arguments.`;

const optionsSchema = z.object({
  url: z
    .url({
      protocol: /^https?$/,
      error: (issue) => (issue.input === undefined ? '--url is required' : '--url must be an http:// or https:// URL'),
    })
    .refine((url) => !/[?#]/.test(url), '--url must not have a query or fragment'),
  uiUrl: z
    .url({ protocol: /^https?$/, error: '--ui-url must be an http:// or https:// URL' })
    .refine((url) => !/[?#]/.test(url), '--ui-url must not have a query or fragment')
    .optional(),
  token: z.string({ error: '--token or SMOKE_TOKEN is required' }).trim().min(1, '--token or SMOKE_TOKEN is required'),
  org: z._default(orgIdSchema, DEFAULT_ORG_ID),
  timeout: z.coerce
    .number({ error: '--timeout must be a number of milliseconds' })
    .int('--timeout must be a whole number of milliseconds')
    .min(1, '--timeout must be at least 1 ms')
    .max(600_000, '--timeout must be at most 600000 ms')
    .default(DEFAULT_TIMEOUT_MS),
});

export interface SmokeCommand {
  readonly url: string;
  readonly uiUrl?: string;
  readonly token: string;
  readonly orgId: string;
  readonly timeoutMs: number;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'run'; command: SmokeCommand } | { kind: 'error'; message: string };

/** Parses the command line; `--token` wins over `SMOKE_TOKEN`. Never throws. */
export function parseSmokeArgs(args: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        url: { type: 'string' },
        'ui-url': { type: 'string' },
        token: { type: 'string' },
        org: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  const parsed = optionsSchema.safeParse({
    url: values.url,
    uiUrl: values['ui-url'],
    token: values.token ?? (env.SMOKE_TOKEN || undefined),
    org: values.org,
    timeout: values.timeout,
  });
  if (!parsed.success) {
    return { kind: 'error', message: parsed.error.issues.map((issue) => messageOf(issue)).join('; ') };
  }
  const { url, uiUrl, token, org, timeout } = parsed.data;
  return { kind: 'run', command: { url, ...(uiUrl ? { uiUrl } : {}), token, orgId: org, timeoutMs: timeout } };
}

function messageOf(issue: z.core.$ZodIssue): string {
  const field = issue.path[0];
  // Messages written here already name their option; zod's own ones (and the org id schema's) get it prefixed.
  const option = field === 'uiUrl' ? 'ui-url' : String(field);
  return issue.message.startsWith('--') || field === undefined ? issue.message : `--${option}: ${issue.message}`;
}
