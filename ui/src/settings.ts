import * as z from 'zod/mini';

const httpUrl = z.string().check(
  z.refine((value) => {
    try {
      return ['https:', 'http:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL'),
);

const oidcAuthSchema = z.strictObject({
  kind: z.literal('oidc'),
  /** The issuer: its `/.well-known/openid-configuration` describes the endpoints. */
  authority: httpUrl,
  client_id: z.string().check(z.minLength(1, 'client_id is required')),
  scope: z.string().check(z.minLength(1, 'scope is required')),
  /** Where sign-out ends the provider's session (Cognito has no end_session_endpoint in its discovery document). */
  logout_url: z.optional(httpUrl),
});

const localAuthSchema = z.strictObject({
  kind: z.literal('local'),
  sign_in_url: z.string().check(z.startsWith('/', 'sign_in_url must be a path on this origin')),
});

/**
 * The admin UI's runtime settings, `GET /admin/config.json`: written at deploy by CDK in AWS,
 * served by the local stack locally. This module holds only the schema, so that Node code (CDK,
 * the local stack) can use it too; the page loads it with `load-settings.ts`.
 */
export const uiSettingsSchema = z.strictObject({
  /** The HTTP API's base URL, without a trailing slash. */
  api_url: httpUrl.check(z.refine((value) => !value.endsWith('/'), 'api_url must not end with a slash')),
  auth: z.discriminatedUnion('kind', [oidcAuthSchema, localAuthSchema]),
  /** How often an open page asks the API for changes made by others, in seconds. */
  poll_seconds: z.optional(
    z.number().check(z.int(), z.minimum(1, 'poll_seconds must be 1-60'), z.maximum(60, 'poll_seconds must be 1-60')),
  ),
});

export type UiSettings = z.output<typeof uiSettingsSchema>;
export type OidcAuthSettings = z.output<typeof oidcAuthSchema>;
export type LocalAuthSettings = z.output<typeof localAuthSchema>;

export const DEFAULT_POLL_SECONDS = 3;
