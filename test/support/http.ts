import { expect } from '@jest/globals';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { httpEvent, lambdaContext, type HttpEventOptions } from './events.js';

/** An HTTP handler as the Lambda runtime calls it. */
export type HttpLambda = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** A handler's answer with its JSON body parsed. */
export interface HttpResult<B = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | number | boolean>;
  body: B;
  raw: APIGatewayProxyStructuredResultV2;
}

/** Builds the event, invokes the real handler with a fresh context, and parses the JSON body. */
export async function invoke<B = Record<string, unknown>>(
  handler: HttpLambda,
  options: HttpEventOptions,
): Promise<HttpResult<B>> {
  const raw = await handler(httpEvent(options), lambdaContext());
  return {
    status: raw.statusCode ?? 200,
    headers: raw.headers ?? {},
    body: (raw.body === undefined || raw.body === '' ? undefined : JSON.parse(raw.body)) as B,
    raw,
  };
}

/** The API's error contract: `{ error: { code, message } }`, JSON, and no stack trace anywhere. */
export function expectErrorBody(result: HttpResult<unknown>, status: number, code?: string): void {
  expect(result.status).toBe(status);
  expect(String(result.headers['content-type'])).toMatch(/^application\/json/);
  const error = (result.body as { error?: Record<string, unknown> }).error;
  expect(error).toEqual(expect.objectContaining({ code: code ?? expect.any(String), message: expect.any(String) }));
  expect(Object.keys(result.body as object)).toEqual(['error']);
  expect(result.raw.body).not.toMatch(/\bat .+\(.*:\d+:\d+\)|\.ts:\d+|node_modules|stack/i);
}
