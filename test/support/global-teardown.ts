import type { DynamoDbLocalHandle } from '../../lib/local/dynamodb-local.js';

/** Stops the DynamoDB Local started by global setup. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __orgFeatureFlagsDynamoDbLocal?: DynamoDbLocalHandle };
  const handle = holder.__orgFeatureFlagsDynamoDbLocal;
  delete holder.__orgFeatureFlagsDynamoDbLocal;
  await handle?.stop();
}
