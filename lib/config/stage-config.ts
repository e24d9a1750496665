import { z } from 'zod';
import { SCOPES } from '../../lambdas/domain/caller.js';
import { DEFAULT_ORG_EVENT_SOURCE } from '../../lambdas/domain/events.js';

/** What the admin UI asks the identity provider for unless a stage says otherwise. */
export const DEFAULT_ADMIN_UI_SCOPE = `openid email ${SCOPES.admin}`;

const httpsOrigin = z
  .url({ protocol: /^https$/, error: 'must be an https origin, e.g. https://login.example.com' })
  .refine(
    (value) => new URL(value).origin === value.replace(/\/$/, ''),
    'must be an origin only (scheme and host, no path)',
  )
  .transform((value) => new URL(value).origin);

/** The admin UI's OpenID Connect client at a stage's own identity provider (stages with `jwt`). */
const adminUiClientSchema = z
  .object({
    /** The public client (no secret) registered for the UI: authorization code with PKCE, redirect and sign-out URL `https://<distribution>/admin/`. */
    clientId: z.string().min(1, 'adminUi.clientId is required'),
    /** Space-separated scopes the UI asks for; `openid` is required. */
    scope: z
      .string()
      .default(DEFAULT_ADMIN_UI_SCOPE)
      .refine((scope) => scope.split(/\s+/).includes('openid'), "adminUi.scope must include 'openid'"),
    /** Where sign-out ends the provider's session, for a provider whose discovery document has no end_session_endpoint. */
    logoutUrl: z.url({ protocol: /^https$/, error: 'adminUi.logoutUrl must be an https URL' }).optional(),
    /** Origins the page may call besides the API and the issuer's origin: a token endpoint on another host. */
    connectOrigins: z.array(httpsOrigin).default([]),
  })
  .strict();

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** One stage's settings, as written under `stages.<name>` in cdk.json's context. */
export const stageConfigSchema = z
  .object({
    /** Whether the table and queues survive `cdk destroy` and the table refuses deletion. */
    retainData: z.boolean(),
    /** The identity provider whose tokens the API accepts; absent when `devUserPool` is on. */
    jwt: z
      .object({
        /** The identity provider's issuer URL (for Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>). */
        issuer: z.url({ protocol: /^https$/, error: 'jwt.issuer must be an https URL' }),
        /** Accepted `aud` (or `client_id`) values. */
        audience: z.array(z.string().min(1)).min(1, 'jwt.audience needs at least one value'),
      })
      .strict()
      .optional(),
    /** Creates a Cognito user pool with the three scopes and admin and service clients, and trusts it. */
    devUserPool: z.boolean().default(false),
    /**
     * The admin UI in AWS (CloudFront in front of a private bucket): with `jwt`, its client at the
     * identity provider, or `false` for no UI; with `devUserPool`, absent (the pool gets a client
     * for it) or `false`.
     */
    adminUi: z.union([z.literal(false), adminUiClientSchema]).optional(),
    /** Browser origins allowed by CORS besides the admin UI's own (which is always allowed); empty for none. */
    corsAllowOrigins: z.array(z.union([z.url(), z.literal('*')])),
    /** Name of an existing org event bus to attach to; absent to create one. */
    existingEventBusName: z.string().min(1).max(256).optional(),
    /** `source` of the `OrgCreated` events. */
    orgEventSource: z.string().min(1).default(DEFAULT_ORG_EVENT_SOURCE),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    logRetentionDays: z.union(
      LOG_RETENTION_DAYS.map((days) => z.literal(days)) as [z.ZodLiteral<number>, ...z.ZodLiteral<number>[]],
    ),
    throttle: z.object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() }).strict(),
    /** Addresses subscribed to the alarm topic; empty to subscribe later by hand. */
    alarmEmails: z.array(z.email()).default([]),
    /** What the deploy workflow does when a registry flag is past its cleanup_after date: warn, or fail the deploy. */
    staleFlagGate: z.enum(['warn', 'fail']).default('warn'),
    /** Memory of each function in MB. */
    functionMemoryMb: z.number().int().min(128).max(10240).default(256),
  })
  .strict()
  .superRefine((stage, context) => {
    if (stage.devUserPool && stage.jwt) {
      context.addIssue({ code: 'custom', path: ['jwt'], message: 'set either jwt or devUserPool: true, not both' });
    }
    if (!stage.devUserPool && !stage.jwt) {
      context.addIssue({
        code: 'custom',
        path: ['jwt'],
        message: 'jwt is required (issuer and audience), unless devUserPool is true',
      });
    }
    if (stage.devUserPool && stage.adminUi) {
      context.addIssue({
        code: 'custom',
        path: ['adminUi'],
        message:
          'with devUserPool the pool has the admin UI its client: leave adminUi out, or set it to false for no UI',
      });
    }
    if (!stage.devUserPool && stage.adminUi === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['adminUi'],
        message:
          "adminUi is required with jwt: the UI's client at the identity provider ({ clientId }), or false for no UI",
      });
    }
  });

/** A stage's validated settings. */
export type StageConfig = z.infer<typeof stageConfigSchema> & { readonly stage: string };

const stageNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,19}$/, 'stage must be lowercase letters, digits and dashes, starting with a letter');

/**
 * Reads the stage named by `-c stage=NAME` from the `stages` context (cdk.json) and validates it;
 * throws one error naming every problem, so a bad config never reaches synth.
 */
export function stageConfig(stage: unknown, stages: unknown): StageConfig {
  const name = stageNameSchema.safeParse(stage);
  if (!name.success) throw new Error(`Invalid or missing stage: pass -c stage=NAME.\n${z.prettifyError(name.error)}`);
  const known = z.record(z.string(), z.unknown()).safeParse(stages);
  if (!known.success) throw new Error("cdk.json has no 'stages' context object.");
  if (!(name.data in known.data)) {
    throw new Error(`Unknown stage '${name.data}'. Known stages: ${Object.keys(known.data).join(', ')}.`);
  }
  const parsed = stageConfigSchema.safeParse(known.data[name.data]);
  if (!parsed.success) {
    throw new Error(`Invalid config for stage '${name.data}':\n${z.prettifyError(parsed.error)}`);
  }
  return { ...parsed.data, stage: name.data };
}
