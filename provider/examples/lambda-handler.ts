// A Lambda function of a consuming service that reads an org's flag on each request. In a service,
// import from '@org-feature-flags/openfeature-provider' instead of '../src/provider.js'.
//
// Environment: FLAGS_URL (the org-feature-flags API), FLAGS_TOKEN (a service token for it).
import { OpenFeature } from '@openfeature/server-sdk';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { OrgFeatureFlagsProvider } from '../src/provider.js';

const { FLAGS_URL, FLAGS_TOKEN } = process.env;
if (!FLAGS_URL || !FLAGS_TOKEN) throw new Error('FLAGS_URL and FLAGS_TOKEN must be set');

// Once per execution environment: every invocation it serves shares the provider's memory. Each
// org is fetched at its first evaluation (one request for all its flags), then answered from
// memory and revalidated in the background every ttlMs.
await OpenFeature.setProviderAndWait(
  new OrgFeatureFlagsProvider({
    baseUrl: FLAGS_URL,
    // A function is called before each request, so it may hand out a refreshed token.
    token: () => FLAGS_TOKEN,
    ttlMs: 15_000,
  }),
);
const flags = OpenFeature.getClient('orders-service');

/** `GET /orders/{id}` of an HTTP API with a JWT authorizer whose tokens carry the caller's org in `org_id`. */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyResultV2> {
  const orgId = event.requestContext.authorizer.jwt.claims.org_id;
  if (typeof orgId !== 'string') return { statusCode: 403 };

  // The code default (false) is the answer when the flag cannot be evaluated: an org or flag the
  // service does not know, or the service unreachable before this org was ever fetched.
  const chat = await flags.getBooleanValue('chat', false, { targetingKey: orgId });

  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: event.pathParameters?.id, chatEnabled: chat }),
  };
}
