import { z } from 'zod';

const envSchema = z.object({
  TABLE_NAME: z.string().min(1, 'TABLE_NAME must name the flag table'),
  DYNAMODB_ENDPOINT: z.url().optional(),
});

/** Settings every function reads from its environment. */
export interface Config {
  readonly tableName: string;
  readonly dynamoDbEndpoint: string | undefined;
}

let cached: Config | undefined;

/** The validated environment; throws naming every missing or bad variable. */
export function config(env: NodeJS.ProcessEnv = process.env): Config {
  if (cached && env === process.env) return cached;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const result = { tableName: parsed.data.TABLE_NAME, dynamoDbEndpoint: parsed.data.DYNAMODB_ENDPOINT };
  if (env === process.env) cached = result;
  return result;
}
